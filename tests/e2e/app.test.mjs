// The foundation's end-to-end tests, against the release build served as static files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { serve, launch, withPage, otlpCounts, FIXTURES } from './harness.mjs';

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

// The status line once loaded (while decoding it says "Decoding (N spans so far)").
const status = (page) => page.getByRole('status').filter({ hasText: /^Loaded .*spans/ });
const waterfall = (page) => page.getByRole('treegrid', { name: 'Waterfall' });
const rows = (page) => waterfall(page).getByRole('row');
const details = (page) => page.getByRole('region', { name: 'Span details' });

test('the bundled sample opens with its counts, traces and waterfall', async () => {
  await withPage(browser, 'sample opens', async (page) => {
    await page.goto(site.url);
    const want = await otlpCounts(join(FIXTURES, 'order-e2e.json'));
    await assert.doesNotReject(status(page).waitFor());
    const text = await status(page).textContent();
    assert.match(text, new RegExp(`\\b${want.spans} spans\\b`));
    assert.match(text, new RegExp(`\\b${want.traces} traces\\b`));
    assert.match(text, new RegExp(`\\b${want.services} services\\b`));

    const options = page.getByRole('listbox', { name: 'Traces' }).getByRole('option');
    assert.equal(await options.count(), want.traces);
    assert.equal(await options.first().getAttribute('aria-selected'), 'true');

    const first = rows(page).first();
    assert.equal(await first.getAttribute('aria-level'), '1');
    assert.match(await first.getByRole('gridcell').first().textContent(), /^pytest: e2e/);
    // The failing test, the API that returned 500 and the worker that raised are all there.
    for (const name of ['test_orders.py::test_bulk_order', 'POST /orders', 'reserve TEAPOT-XL']) {
      const row = rows(page).filter({ hasText: name }).last();
      assert.equal(await row.getAttribute('data-status'), 'error', name);
    }
    const levels = await rows(page).evaluateAll((els) => els.map((e) => Number(e.getAttribute('aria-level'))));
    assert.ok(Math.max(...levels) >= 6, `the trace goes test -> http -> api -> worker: ${levels}`);
  });
});

test('the sample opens on the failure: the worker span that raised, with its exception', async () => {
  await withPage(browser, 'opens on failure', async (page) => {
    await page.goto(site.url);
    const selected = waterfall(page).locator('[role=row][aria-selected=true]');
    await selected.waitFor();
    assert.match(await selected.getByRole('gridcell').first().textContent(), /^reserve TEAPOT-XL/);
    assert.equal(await selected.getAttribute('data-status'), 'error');
    const panel = details(page);
    await panel.getByRole('heading', { name: 'reserve TEAPOT-XL' }).waitFor();
    assert.match(await panel.textContent(), /ValueError: cannot reserve 250 x TEAPOT-XL: exceeds warehouse limit of 100/);
  });
});

test('the failures list names the failing test and its cause; a click opens the cause from anywhere', async () => {
  await withPage(browser, 'failures list', async (page) => {
    await page.goto(site.url);
    await rows(page).first().waitFor();
    const failures = page.getByRole('region', { name: 'Failures' });
    await failures.getByRole('heading', { name: '1 failing test' }).waitFor();
    const items = failures.getByRole('list').getByRole('button', { name: /^(?!Copy for an assistant$)/ });
    assert.equal(await items.count(), 1, 'the 422 test passed: only the bulk order failed');
    const item = items.first();
    const text = await item.textContent();
    assert.match(text, /test_orders\.py::test_bulk_order/);
    // The assertion the CI log shows, and what caused it.
    assert.match(text, /AssertionError: assert 500 == 200caused by ValueError: cannot reserve 250 x TEAPOT-XL/);
    assert.match(text, /order-worker · reserve TEAPOT-XL/);
    // The trace opened on that cause: the item says it is the one shown.
    assert.equal(await item.getAttribute('aria-current'), 'true');
    // From another trace, a click goes back to the failing trace and selects the cause.
    await page.getByRole('listbox', { name: 'Traces' }).getByRole('option', { name: /order-api ready/ }).click();
    await page.waitForFunction(() => !document.querySelector('.failure[aria-current]'));
    await item.click();
    const selected = waterfall(page).locator('[role=row][aria-selected=true]');
    await page.waitForFunction(() => document.querySelector('.failure')?.getAttribute('aria-current') === 'true');
    assert.match(await selected.getByRole('gridcell').first().textContent(), /^reserve TEAPOT-XL/);
    assert.equal(await page.getByRole('listbox', { name: 'Traces' }).getByRole('option', { selected: true }).getAttribute('data-status'), 'error');
    await details(page).getByRole('heading', { name: 'reserve TEAPOT-XL' }).waitFor();
    // Back returns to where the user was.
    await details(page).getByRole('button', { name: /Back to the previous span/ }).click();
    await page.getByRole('listbox', { name: 'Traces' }).getByRole('option', { name: /order-api ready/, selected: true }).waitFor();

    // Copied as Markdown for a pull request: the table links the cause, and the link opens it.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await failures.getByRole('button', { name: 'Copy the failures as Markdown' }).click();
    await failures.getByRole('button', { name: 'Copy the failures as Markdown' }).filter({ hasText: 'Copied' }).waitFor();
    const markdown = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(markdown, /^### Sightline: 1 failing test\n\n\| test \| cause \| error \|\n/);
    const link = markdown.match(/\| test\\_orders\\\.py::test\\_bulk\\_order \| \[order\\-worker › reserve TEAPOT\\-XL\]\(([^)]+)\) \| ValueError: cannot reserve 250 x TEAPOT\\-XL/);
    assert.ok(link, markdown);
    assert.ok(link[1].startsWith(site.url), link[1]);
    assert.match(link[1], /[#&]trace=[0-9a-f]{32}&span=[0-9a-f]{16}/);
    assert.match(link[1], /file=/, 'the sample is named by its fingerprint');
  });
});

test('clicking a row shows that span in the details panel', async () => {
  await withPage(browser, 'row click details', async (page) => {
    await page.goto(site.url);
    const row = rows(page).filter({ hasText: 'POST /orders' }).first();
    await row.click();
    assert.equal(await row.getAttribute('aria-selected'), 'true');
    const panel = details(page);
    await panel.getByRole('heading', { name: 'POST /orders' }).waitFor();
    const text = await panel.textContent();
    for (const want of ['order-api', 'server', 'http.route', '/orders', 'ci.job.url']) {
      assert.ok(text.includes(want), `details show ${want}`);
    }
    // The keyboard moves the selection too.
    await page.keyboard.press('ArrowUp');
    assert.equal(await row.getAttribute('aria-selected'), 'false');
  });
});

test('a file opened through the input replaces the view', async () => {
  await withPage(browser, 'open file input', async (page) => {
    await page.goto(site.url);
    await status(page).filter({ hasText: /traces/ }).waitFor();
    const input = page.getByRole('button', { name: 'Open trace files' });
    await input.setInputFiles(join(FIXTURES, 'edge/missing_parent.json'));
    await page.getByRole('status').filter({ hasText: '3 spans · 1 trace ' }).waitFor();
    // Three spans, and a placeholder row for the parent the orphan names but the file lacks.
    assert.equal(await rows(page).count(), 4);
    assert.equal(await waterfall(page).getAttribute('aria-rowcount'), '4');
    assert.match(await rows(page).first().textContent(), /^root/);
    await rows(page).filter({ hasText: 'orphan child' }).waitFor();
    const placeholder = rows(page).nth(1);
    assert.match(await placeholder.textContent(), /^missing parent deadbeefdeadbeef/);
    assert.equal(await placeholder.getAttribute('aria-expanded'), 'true');
    assert.match(await rows(page).nth(2).textContent(), /^orphan.*missing parent deadbeef/);
    assert.equal(await rows(page).nth(2).getAttribute('aria-level'), '2');
    await placeholder.click();
    await details(page).getByRole('heading', { name: 'missing parent deadbeefdeadbeef' }).waitFor();
    assert.match(await details(page).textContent(), /1 span below names it as parent/);
    assert.equal(await page.getByRole('listbox', { name: 'Traces' }).getByRole('option').count(), 1);
  });
});

test('several dropped files become one session; a corrupt one is announced, the rest loads', async () => {
  await withPage(browser, 'drop files', async (page) => {
    await page.goto(site.url);
    await status(page).filter({ hasText: /traces/ }).waitFor();
    const files = await Promise.all(
      ['edge/corrupt_line.jsonl', 'edge/own_ancestor.json'].map(async (f) => ({
        name: f.split('/').pop(),
        text: await readFile(join(FIXTURES, f), 'utf8'),
      })),
    );
    await page.evaluate((files) => {
      const dt = new DataTransfer();
      for (const f of files) dt.items.add(new File([f.text], f.name, { type: 'application/json' }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files);
    // corrupt_line.jsonl: 2 readable spans; own_ancestor.json: 5 more of the same trace id.
    await page.getByRole('status').filter({ hasText: '7 spans · 1 trace ' }).waitFor();
    assert.equal(await rows(page).count(), 7);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /1 problem while decoding/);
    await alert.getByText('Show what was skipped or repaired').click();
    assert.match(await alert.textContent(), /corrupt_line\.jsonl \(line 2\): not valid JSON/);
  });
});

test('hundreds of broken lines: the alert counts them all and lists them a page at a time', async () => {
  await withPage(browser, 'many problems', async (page) => {
    await page.goto(site.url);
    await status(page).filter({ hasText: /traces/ }).waitFor();
    // The sample's spans on the first line, then 450 lines cut short.
    const sample = JSON.stringify(JSON.parse(await readFile(join(FIXTURES, 'order-e2e.json'), 'utf8')));
    const broken = Array.from({ length: 450 }, (_, i) => `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"cut ${i}"`);
    const text = [sample, ...broken].join('\n') + '\n';
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'export.jsonl', { type: 'application/json' }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, text);
    await page.getByRole('status').filter({ hasText: /^Loaded 33 spans/ }).waitFor();
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: '450 problems while decoding' }).waitFor();
    await alert.getByText('Show what was skipped or repaired').click();
    const items = alert.getByRole('listitem');
    assert.equal(await items.count(), 200);
    assert.match(await items.first().textContent(), /^export\.jsonl \(line 2\): not valid JSON/);
    await alert.getByRole('button', { name: 'Show 200 more (250 not shown)' }).click();
    assert.equal(await items.count(), 400);
    await alert.getByRole('button', { name: 'Show 50 more (50 not shown)' }).click();
    assert.equal(await items.count(), 450);
    assert.match(await items.last().textContent(), /^export\.jsonl \(line 451\): not valid JSON/);
    assert.equal(await alert.getByRole('button').count(), 0);
  });
});

test('search highlights matches, counts them, and Enter / Shift+Enter step through them', async () => {
  await withPage(browser, 'search', async (page) => {
    await page.goto(site.url);
    await rows(page).first().waitFor();
    await page.keyboard.press('/');
    const box = page.getByRole('searchbox', { name: 'Search spans' });
    assert.equal(await box.evaluate((el) => el === document.activeElement), true, '/ focuses the search box');
    await box.fill('sku=TEAPOT');
    const count = page.getByRole('status').filter({ hasText: /match/ });
    await count.filter({ hasText: '1 match' }).waitFor();
    await box.fill('http.route=/orders');
    await count.filter({ hasText: '3 matches' }).waitFor();
    assert.equal(await waterfall(page).locator('[role=row][data-match=true]').count(), 3);
    // Enter selects the next match after the selection; past the last (the failure, opened on
    // load, comes after every server span) it wraps around to the first.
    await box.press('Enter');
    await count.filter({ hasText: '(1 of 3 selected)' }).waitFor();
    await box.press('Enter');
    await count.filter({ hasText: '(2 of 3 selected)' }).waitFor();
    await box.press('Shift+Enter');
    await count.filter({ hasText: '(1 of 3 selected)' }).waitFor();
    const selected = waterfall(page).locator('[role=row][aria-selected=true]');
    assert.match(await selected.textContent(), /POST \/orders/);
    // Only matching spans: the three server spans and their ancestors.
    await page.getByLabel('Only matching spans').check();
    await page.waitForFunction(() => document.querySelectorAll('[role=treegrid] [role=row]').length < 20);
    const shown = await rows(page).count();
    assert.equal(await waterfall(page).getAttribute('aria-rowcount'), String(shown));
    assert.ok(shown >= 3 + 1 && shown <= 3 * 4 + 1, `matches with their ancestors: ${shown}`);
    await box.fill('');
    assert.equal(await page.getByRole('status').filter({ hasText: /match/ }).count(), 0, 'no count without a search');
    await page.getByLabel('Only matching spans').uncheck();
    // Comparisons, the span's own fields, quotes and negation: the 5xx responses, then the
    // failed server span, then the slow spans that did not fail.
    await box.fill('http.status_code>=500');
    await count.filter({ hasText: '2 matches' }).waitFor();
    const matched = waterfall(page).locator('[role=row][data-match=true]');
    assert.deepEqual(await matched.locator('.span-name').allTextContents(), ['POST 127.0.0.1/orders', 'POST /orders']);
    await box.fill('status=error kind=server');
    await count.filter({ hasText: /^1 match/ }).waitFor();
    await box.fill('name="POST /orders" -status=error');
    await count.filter({ hasText: '2 matches' }).waitFor();
    await box.fill('duration>100ms -status=error');
    await count.filter({ hasText: '2 matches' }).waitFor();
    assert.deepEqual(await matched.locator('.span-name').allTextContents(), ['pytest: e2e', 'test_orders.py::test_create_order']);
  });
});

test('the legend names the services in their bar colours; each service button finds its spans alone', async () => {
  await withPage(browser, 'legend', async (page) => {
    await page.goto(site.url);
    await rows(page).first().waitFor();
    const legend = page.getByRole('list', { name: 'Services' });
    // In the order the trace meets them: the test, the API, the worker.
    assert.deepEqual(await legend.getByRole('button').allTextContents(), ['e2e-tests', 'order-api', 'order-worker']);
    const worker = legend.getByRole('button', { name: 'order-worker' });
    // Its swatch is the colour of the worker's bars (a span that did not fail).
    const swatch = await worker.locator('.swatch').evaluate((el) => getComputedStyle(el).backgroundColor);
    const workerRow = rows(page).filter({ has: page.locator('.svc', { hasText: /^order-worker$/ }) }).filter({ hasNot: page.locator('.bar.error') }).first();
    assert.equal(await workerRow.locator('.bar').evaluate((el) => getComputedStyle(el).backgroundColor), swatch);

    // Pressed, it searches for that service's spans: every row of the worker, no other.
    assert.equal(await worker.getAttribute('aria-pressed'), 'false');
    await worker.click();
    const box = page.getByRole('searchbox', { name: 'Search spans' });
    assert.equal(await box.inputValue(), 'service==order-worker');
    assert.equal(await worker.getAttribute('aria-pressed'), 'true');
    const workerRows = await waterfall(page).locator('[role=row]').evaluateAll((all) =>
      all.filter((r) => r.querySelector('.svc')?.textContent === 'order-worker').length);
    assert.ok(workerRows > 0);
    await page.getByRole('status').filter({ hasText: `${workerRows} matches` }).waitFor();
    const matched = await waterfall(page).locator('[role=row][data-match=true] .svc').allTextContents();
    assert.deepEqual([...new Set(matched)], ['order-worker']);
    assert.equal(matched.length, workerRows);
    // Another service's button takes over the search; pressed again, it clears it.
    const api = legend.getByRole('button', { name: 'order-api' });
    await api.click();
    assert.equal(await box.inputValue(), 'service==order-api');
    assert.equal(await worker.getAttribute('aria-pressed'), 'false');
    await api.click();
    assert.equal(await box.inputValue(), '');
    assert.equal(await page.getByRole('status').filter({ hasText: /match/ }).count(), 0);
  });
});

test('the critical path toggle marks the chain that decided the end of the trace', async () => {
  await withPage(browser, 'critical path', async (page) => {
    await page.goto(site.url);
    await page.getByRole('status').filter({ hasText: /traces/ }).waitFor();
    await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(join(FIXTURES, 'edge/critical_path.json'));
    await page.getByRole('status').filter({ hasText: '7 spans · 1 trace ' }).waitFor();
    const critical = waterfall(page).locator('[role=row][data-critical=true]');
    assert.equal(await critical.count(), 0, 'off by default');
    const toggle = page.getByRole('button', { name: 'Critical path' });
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await page.waitForFunction(() => document.querySelectorAll('[role=row][data-critical=true]').length === 6);
    assert.equal(await rows(page).filter({ hasText: 'a: early' }).getAttribute('data-critical'), null);
    await toggle.click();
    await page.waitForFunction(() => document.querySelectorAll('[role=row][data-critical=true]').length === 0);
  });
});

test('? shows the keyboard help; the theme toggle cycles system, light, dark, and is remembered', async () => {
  await withPage(browser, 'help and theme', async (page) => {
    await page.goto(site.url);
    await rows(page).first().waitFor();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    assert.match(await help.textContent(), /search spans/);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });
    const theme = page.getByRole('button', { name: /^Theme:/ });
    assert.equal(await theme.textContent(), 'Theme: system');
    await theme.click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
    await theme.click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(bg, 'rgb(20, 24, 31)', 'dark background');
    // The next visit opens in the theme chosen.
    await page.reload();
    await rows(page).first().waitFor();
    assert.equal(await theme.textContent(), 'Theme: dark');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await theme.click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), undefined);
    await page.reload();
    await rows(page).first().waitFor();
    assert.equal(await theme.textContent(), 'Theme: system');
  });
});

test('the trace list, the span names and the details are resized by drag or keyboard, and remembered', async () => {
  await withPage(browser, 'resizable panes', async (page) => {
    await page.goto(site.url);
    await rows(page).first().waitFor();
    const width = (selector) => page.evaluate((s) => document.querySelector(s).getBoundingClientRect().width, selector);
    const names = page.getByRole('separator', { name: 'Resize the span names' });
    const list = page.getByRole('separator', { name: 'Resize the trace list' });
    const panel = page.getByRole('separator', { name: 'Resize the span details' });
    const now = async (sep) => Number(await sep.getAttribute('aria-valuenow'));
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Resize the span names"]')?.getAttribute('aria-valuenow')) > 0);

    // Keyboard: each arrow moves the separator 16 px; the rows' name cells and the time axis follow.
    const nameCell = '[role=treegrid] [role=row] [role=gridcell]';
    const before = await width(nameCell);
    assert.ok(Math.abs((await now(names)) - before) <= 1, 'aria-valuenow is the names column width');
    const axisBefore = await width('.wf-axis-ticks');
    await names.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    await page.waitForFunction((w) => Math.abs(document.querySelector('[role=treegrid] [role=row] [role=gridcell]').getBoundingClientRect().width - w) < 1, before + 80);
    assert.equal(await now(names), Math.round(before + 80));
    // The minimap's canvas is drawn for the narrower timeline.
    await page.waitForFunction((w) => Number(document.querySelector('.wf-minimap canvas').getAttribute('width')) < w, axisBefore);
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('[aria-label="Resize the span names"]').getAttribute('aria-valuenow') === '120');
    assert.equal(Math.round(await width(nameCell)), 120);
    await page.keyboard.press('End');
    const max = Number(await names.getAttribute('aria-valuemax'));
    await page.waitForFunction((m) => document.querySelector('[aria-label="Resize the span names"]').getAttribute('aria-valuenow') === String(m), max);

    // Drag: the list widens by the distance dragged; the details, on the other side of their
    // separator, widen when it is dragged left.
    const listBefore = await width('.trace-list');
    const box = await list.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + 300);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 90, box.y + 300, { steps: 4 });
    await page.mouse.up();
    assert.equal(Math.round(await width('.trace-list')), Math.round(listBefore + 90));
    assert.equal(await now(list), Math.round(listBefore + 90));
    const panelBefore = await width('.span-details');
    const pbox = await panel.boundingBox();
    await page.mouse.move(pbox.x + pbox.width / 2, pbox.y + 300);
    await page.mouse.down();
    await page.mouse.move(pbox.x + pbox.width / 2 - 60, pbox.y + 300, { steps: 4 });
    await page.mouse.up();
    assert.equal(Math.round(await width('.span-details')), Math.round(panelBefore + 60));
    // Never past the limits: a drag far to the right stops at the list's maximum.
    await page.mouse.move(box.x + 90, box.y + 300);
    await page.mouse.down();
    await page.mouse.move(box.x + 1200, box.y + 300, { steps: 4 });
    await page.mouse.up();
    assert.equal(await now(list), Number(await list.getAttribute('aria-valuemax')));
    const listWidth = await width('.trace-list');
    const panelWidth = await width('.span-details');

    // The next visit keeps the widths; a double click gives a pane its default back.
    await page.reload();
    await rows(page).first().waitFor();
    assert.equal(Math.round(await width('.trace-list')), Math.round(listWidth));
    assert.equal(Math.round(await width('.span-details')), Math.round(panelWidth));
    await list.dblclick();
    await page.waitForFunction(() => document.querySelector('.trace-list').getBoundingClientRect().width === 250);
    assert.equal(Math.round(await width('.span-details')), Math.round(panelWidth));
  });
});

test('clock skew between hosts is marked, with the offset in its tooltip', async () => {
  await withPage(browser, 'skew', async (page) => {
    await page.goto(site.url);
    await page.getByRole('status').filter({ hasText: /traces/ }).waitFor();
    const skewFile = join(FIXTURES, 'corpus/openzipkin__zipkin__zipkin-lens_testdata_skew.json');
    await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(skewFile);
    await page.getByRole('status').filter({ hasText: '4 spans · 1 trace ' }).waitFor();
    const mark = waterfall(page).locator('.skew-mark').first();
    await mark.waitFor();
    assert.match(await mark.getAttribute('title'), /starts [\d.]+ms before its parent/);
  });
});

test('collapse to depth folds the tree to that many levels and keeps the selection visible', async () => {
  await withPage(browser, 'collapse to depth', async (page) => {
    await page.goto(site.url);
    await waterfall(page).locator('[role=row][aria-selected=true]').waitFor();
    const depth = page.getByRole('combobox', { name: 'Collapse to depth' });
    await depth.selectOption('2');
    await page.waitForFunction(() => document.querySelectorAll('[role=treegrid] [role=row]').length === 4);
    const levels = await rows(page).evaluateAll((els) => els.map((e) => e.getAttribute('aria-level')));
    assert.deepEqual(levels, ['1', '2', '2', '2'], 'the pytest session and its three tests');
    // The failing worker span is hidden: its visible ancestor, the failing test, is selected.
    const selected = waterfall(page).locator('[role=row][aria-selected=true]');
    assert.match(await selected.textContent(), /test_bulk_order/);
    assert.match(await selected.textContent(), /contains errors|!/);
    await depth.selectOption('0');
    await page.waitForFunction(() => document.querySelectorAll('[role=treegrid] [role=row]').length > 20);
  });
});

test('a linked span in the session is one click away, and Back returns to where the user was', async () => {
  await withPage(browser, 'links', async (page) => {
    await page.goto(site.url);
    await page.getByRole('status').filter({ hasText: /traces/ }).waitFor();
    const file = join(FIXTURES, 'corpus/jaegertracing__jaeger__internal_uimodel_converter_v1_json_fixtures_ui_01.json');
    await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(file);
    await page.getByRole('status').filter({ hasText: '5 spans · 1 trace ' }).waitFor();
    await rows(page).filter({ hasText: 'reference-test' }).click();
    const panel = details(page);
    await panel.getByRole('heading', { name: 'reference-test' }).waitFor();
    assert.match(await panel.textContent(), /not loaded/, 'the link into another trace is listed');
    await panel.getByRole('button', { name: 'Go to linked span' }).click();
    await panel.getByRole('heading', { name: 'test-general-conversion' }).waitFor();
    const selected = waterfall(page).locator('[role=row][aria-selected=true]');
    assert.match(await selected.textContent(), /^test-general-conversion/);
    await panel.getByRole('button', { name: '← Back to the previous span' }).click();
    await panel.getByRole('heading', { name: 'reference-test' }).waitFor();
    assert.match(await selected.textContent(), /^reference-test/);
    assert.equal(await panel.getByRole('button', { name: /Back/ }).count(), 0);
  });
});
