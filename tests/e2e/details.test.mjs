// The span details panel end to end, on the real sample: the exception as a traceback, the
// request body as a tree, the CI job link; and a crafted file that must show only text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { serve, launch, withPage, FIXTURES } from './harness.mjs';

let site;
let browser;
before(async () => {
  site = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await site?.close();
});

const waterfall = (page) => page.getByRole('treegrid', { name: 'Waterfall' });
const rows = (page) => waterfall(page).getByRole('row');
const details = (page) => page.getByRole('region', { name: 'Span details' });

test('the worker span that raised shows the exception type, message and the frame that raised it', async () => {
  await withPage(browser, 'exception traceback', async (page) => {
    await page.goto(site.url);
    await rows(page).filter({ hasText: 'reserve TEAPOT-XL' }).click();
    const panel = details(page);
    await panel.getByRole('heading', { name: 'reserve TEAPOT-XL' }).waitFor();
    const exception = panel.getByRole('region', { name: 'Exception ValueError' });
    assert.equal(await exception.locator('.exception-type').textContent(), 'ValueError');
    assert.match(await exception.locator('.exception-message').textContent(), /cannot reserve 250 x TEAPOT-XL: exceeds warehouse limit of 100/);
    assert.match(await exception.textContent(), /Python stack trace/);
    // The frame that raised: the innermost frame of the application, marked.
    const raised = exception.locator('.frame.raised');
    assert.equal(await raised.count(), 1);
    assert.equal(await raised.locator('.frame-function').textContent(), 'reserve');
    assert.match(await raised.locator('.frame-location').textContent(), /order_demo\/worker\.py:\d+$/);
    assert.match(await raised.locator('.frame-source').textContent(), /raise ValueError/);
    // The raw text is one click away.
    await exception.getByText('Raw stack trace').click();
    assert.match(await exception.locator('.raw-traceback pre').textContent(), /^Traceback \(most recent call last\):/);
  });
});

test('the failing test call shows its request body as a tree, its response, and a 500 status', async () => {
  await withPage(browser, 'request body tree', async (page) => {
    await page.goto(site.url);
    // The client call of test_bulk_order: the failing POST under the failing test.
    const call = rows(page).filter({ hasText: 'POST 127.0.0.1/orders' }).last();
    await call.click();
    const panel = details(page);
    const tree = panel.getByRole('tree', { name: 'Request body' });
    await tree.waitFor();
    const lines = tree.getByRole('treeitem').filter({ has: page.locator(':scope > .jt-row .jt-key', { hasText: /^lines$/ }) });
    assert.equal(await lines.getAttribute('aria-expanded'), 'true');
    // The second line item is folded; opening it shows the SKU that broke the warehouse limit.
    const items = lines.getByRole('group').first().locator(':scope > [role=treeitem]');
    assert.ok((await items.count()) >= 2);
    const teapot = items.filter({ hasText: 'TEAPOT-XL' });
    assert.equal(await teapot.count(), 0, 'folded items show no content yet');
    const last = items.last();
    assert.equal(await last.getAttribute('aria-expanded'), 'false');
    await last.locator(':scope > .jt-row > .jt-toggle').click();
    assert.equal(await last.getAttribute('aria-expanded'), 'true');
    assert.match(await last.textContent(), /sku\s*"TEAPOT-XL"/);
    assert.match(await last.textContent(), /quantity\s*250/);
    // Any value copies on its own: a string as its text.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    const sku = last.getByRole('treeitem').filter({ hasText: 'sku' });
    await sku.hover();
    const copy = sku.getByRole('button', { name: 'Copy this value' });
    await copy.click();
    await page.waitForFunction((el) => el.textContent === 'Copied', await copy.elementHandle());
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'TEAPOT-XL');
    assert.equal(await last.getAttribute('aria-expanded'), 'true', 'copying did not fold the item');
    // The keyboard folds it again.
    await last.focus();
    await page.keyboard.press('ArrowLeft');
    assert.equal(await last.getAttribute('aria-expanded'), 'false');
    // The response (read from the "Reading response body" child) and the status.
    const response = panel.getByRole('tree', { name: 'Response body' });
    assert.match(await response.textContent(), /fulfilment failed/);
    const http = panel.getByRole('region', { name: 'HTTP' });
    assert.equal(await http.locator('.http-status').textContent(), '500');
    assert.equal(await http.locator('.http-status').getAttribute('data-class'), 'server-error');
  });
});

test('the CI job link in the header and the details has the right href and opens safely', async () => {
  await withPage(browser, 'ci job link', async (page) => {
    await page.goto(site.url);
    const doc = JSON.parse(await readFile(join(FIXTURES, 'order-e2e.json'), 'utf8'));
    const want = doc.resourceSpans[0].resource.attributes.find((a) => a.key === 'ci.job.url').value.stringValue;
    const header = page.getByRole('link', { name: /^CI job/ }).first();
    assert.equal(await header.getAttribute('href'), want);
    const nav = details(page).getByRole('navigation', { name: 'CI and source' });
    const job = nav.getByRole('link', { name: 'CI job', exact: true });
    assert.equal(await job.getAttribute('href'), want);
    assert.equal(await job.getAttribute('target'), '_blank');
    assert.equal(await job.getAttribute('rel'), 'noopener noreferrer');
    const commit = nav.getByRole('link', { name: /^Commit / });
    assert.match(await commit.getAttribute('href'), /^https:\/\/git\.example\.com\/acme\/order-demo\/commit\/[0-9a-f]{40}$/);
  });
});

test('a crafted file shows its markup as text, makes no link of javascript: or data: URLs, and runs nothing', async () => {
  await withPage(browser, 'hostile file', async (page) => {
    const dialogs = [];
    page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
    await page.goto(site.url);
    await rows(page).first().waitFor();
    await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(join(FIXTURES, 'edge/hostile.json'));
    await page.getByRole('status').filter({ hasText: 'Loaded 1 span' }).waitFor();
    const row = rows(page).first();
    assert.match(await row.textContent(), /<img src=x onerror=alert\(1\)>/);
    const panel = details(page);
    await panel.getByRole('heading', { name: '<img src=x onerror=alert(1)>' }).waitFor();
    const text = await panel.textContent();
    for (const s of ["<b>XSSError</b>", "<img src=x onerror=alert('message')>", "<script>alert('body')</script>", "javascript:alert('ci')", "<svg onload=alert('status')>"]) {
      assert.ok(text.includes(s), `shown as text: ${s}`);
    }
    // Open every tree and details element, then look for anything that is not text.
    for (const d of await panel.locator('details').all()) await d.evaluate((e) => { e.open = true; });
    for (const item of await panel.locator('[role=treeitem][aria-expanded=false] > .jt-row > .jt-toggle').all()) await item.click();
    // The app itself uses none of these elements: any would come from the file.
    assert.equal(await page.locator('body img, body iframe, body svg, body b, body a:not([href])').count(), 0);
    assert.equal(await page.locator('body script').evaluateAll((ss) => ss.filter((s) => !s.src && !/wasm|init|import/.test(s.textContent)).length), 0);
    const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.every((h) => /^https?:\/\//i.test(h.trim()) || h.startsWith('#')), `only http(s) links: ${hrefs}`);
    assert.ok(hrefs.includes('https://docs.example.com/runbook?q=<x>'), 'the one real URL is a link');
    assert.equal(await page.getByRole('link', { name: /^CI job/ }).count(), 0, 'javascript: is no CI job link');
    await page.waitForTimeout(300);
    assert.deepEqual(dialogs, [], 'no script ran');
  });
});
