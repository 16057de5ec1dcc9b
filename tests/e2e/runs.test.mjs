// Across CI runs, on the recorded six runs of the order demo's suite (tests/fixtures/runs): the
// test history, the exception groups, the comparison of the flaky test's failing and passing
// runs, and a compare permalink opened in a fresh browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, launch, withPage, FIXTURES } from './harness.mjs';

let site;
let bucket;
let browser;
before(async () => {
  site = await serve();
  bucket = await serve(FIXTURES, '/', { cors: true });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await Promise.all([site?.close(), bucket?.close()]);
});

const loaded = (page, text) => page.getByRole('status').filter({ hasText: text });
const open = (page, paths) => page.getByRole('button', { name: 'Open trace files' }).setInputFiles(paths);
const sixFiles = [1, 2, 3, 4, 5, 6].map((n) => join(FIXTURES, 'runs', `run-${n}`, 'traces.json'));
const nav = (page) => page.getByRole('navigation', { name: 'Across runs' });

/** The history table's cells as text: the header row, then one array per test row. */
async function historyRows(page) {
  const table = page.getByRole('table', { name: 'Test history' });
  await table.waitFor();
  return table.getByRole('row').evaluateAll((rows) => rows.map((r) =>
    [...r.querySelectorAll('th, td')].map((c) => c.textContent.trim())));
}

for (const [how, paths] of [['as a zip of run folders', [join(FIXTURES, 'runs.zip')]], ['as six files', sixFiles]]) {
  test(`six runs opened ${how}: history, broken and flaky first, with a column per run`, async () => {
    await withPage(browser, `runs history ${how}`, async (page) => {
      await page.goto(site.url);
      await loaded(page, 'traces').waitFor();
      await open(page, paths);
      await loaded(page, '30 traces').waitFor();
      // It opens on the newest run's failing test's cause, and says which run that is.
      await page.getByRole('link', { name: /^Run e2e #5206 of 6/ }).waitFor();
      await nav(page).getByRole('button', { name: /^Test history/ }).click();
      const rows = await historyRows(page);
      assert.deepEqual(rows[0].slice(0, 7).map((h) => h.replace(/\s+/g, ' ').split(' ').slice(0, 2).join(' ')),
        ['Test', 'e2e #5201', 'e2e #5202', 'e2e #5203', 'e2e #5204', 'e2e #5205', 'e2e #5206']);
      assert.match(rows[1][0], /test_orders\.py::test_bulk_order\s*broken/);
      assert.deepEqual(rows[1].slice(1, 7), ['fail', 'fail', 'fail', 'fail', 'fail', 'fail']);
      assert.match(rows[2][0], /test_orders\.py::test_express_order\s*flaky · 50% failed/);
      assert.deepEqual(rows[2].slice(1, 7), ['pass', 'fail', 'pass', 'fail', 'fail', 'pass']);
      assert.match(rows[3][0], /test_create_order\s*flaky · 17% failed/);
      // A cell opens that execution's span in its trace.
      const table = page.getByRole('table', { name: 'Test history' });
      await table.getByRole('row').nth(2).getByRole('link', { name: 'fail' }).first().click();
      await page.getByRole('treegrid').waitFor();
      await page.getByRole('link', { name: /^Run e2e #5202 of 6/ }).waitFor();
    });
  });
}

test('exceptions are grouped by fingerprint, counted once per trace, the handled retry last', async () => {
  await withPage(browser, 'runs exceptions', async (page) => {
    await page.goto(site.url);
    await loaded(page, 'traces').waitFor();
    await open(page, [join(FIXTURES, 'runs.zip')]);
    await loaded(page, '30 traces').waitFor();
    await nav(page).getByRole('button', { name: /^Exceptions/ }).click();
    const table = page.getByRole('table', { name: 'Exceptions' });
    await table.waitFor();
    const rows = await table.getByRole('row').evaluateAll((rows) => rows.map((r) =>
      [...r.querySelectorAll(':scope > th, :scope > td')].map((c) => c.textContent.replace(/\s+/g, ' ').trim())));
    const warehouse = rows.find((r) => /ValueError cannot reserve <n> x TEAPOT-XL.*worker\.py/.test(r[0]));
    assert.ok(warehouse, JSON.stringify(rows));
    assert.deepEqual(warehouse.slice(1, 6), ['6 (12 spans)', '6', 'e2e #5201', 'e2e #5206', 'order-worker']);
    const last = rows[rows.length - 1];
    assert.match(last[0], /httpx\.HTTPStatusError.*handled 10 of 16/);
    // A row opens its occurrences; one opens its span.
    await table.getByRole('button', { name: /ValueError cannot reserve .*worker\.py/ }).click();
    const occurrences = page.getByRole('list', { name: 'Occurrences of ValueError' });
    assert.equal(await occurrences.getByRole('listitem').count(), 6);
    await occurrences.getByRole('button').first().click();
    await page.getByRole('treegrid').getByRole('row', { name: /reserve TEAPOT-XL/, selected: true }).waitFor();
  });
});

test('the flaky test compares its failing run with the passing one; the link reopens it', async () => {
  let link;
  await withPage(browser, 'runs compare', async (page) => {
    await page.goto(`${site.url}#src=${encodeURIComponent(`${bucket.url}runs.zip`)}`);
    await loaded(page, '30 traces').waitFor();
    await nav(page).getByRole('button', { name: /^Test history/ }).click();
    const table = page.getByRole('table', { name: 'Test history' });
    await table.getByRole('row').nth(2).getByRole('button', { name: 'Compare' }).click();
    const compare = page.getByRole('region', { name: 'Compare' });
    await compare.waitFor();
    const differences = compare.getByRole('table', { name: 'Span differences' });
    const first = await differences.getByRole('row').nth(1).evaluate((r) =>
      [...r.querySelectorAll('th, td')].map((c) => c.textContent.replace(/\s+/g, ' ').trim()));
    assert.match(first[0], /^e2e-tests › POST 127\.0\.0\.1\/orders/);
    assert.match(first[3], /^ERROR vs OK/);
    const text = await differences.textContent();
    assert.match(text, /order-api › POST \/orders.*\+2\.\d+s/);
    await compare.getByRole('table', { name: 'Mean durations over all runs' }).waitFor();
    await compare.getByRole('table', { name: 'Aligned spans' }).waitFor();
    // The failing run against the passing one nearest in time on its revision.
    assert.match(await compare.getByRole('combobox', { name: 'Failing execution' }).inputValue(), /\d+/);
    assert.match(await compare.getByRole('combobox', { name: 'Failing execution' }).locator('option:checked').textContent(), /^e2e #5205/);
    assert.match(await compare.getByRole('combobox', { name: 'Passing execution' }).locator('option:checked').textContent(), /^e2e #5206/);
    // A row's attributes side by side, differing ones marked.
    await differences.getByRole('button', { name: /order-api › POST \/orders/ }).click();
    const attributes = compare.getByRole('table', { name: 'Attribute differences' });
    await attributes.waitFor();
    assert.match(await attributes.textContent(), /≠/);
    await page.waitForFunction(() => location.hash.includes('compare='));
    link = await page.evaluate(() => location.href);
    assert.match(link, /&panel=compare&/);
    assert.match(link, /&compare=[0-9a-f]{32}:[0-9a-f]{16},[0-9a-f]{32}:[0-9a-f]{16}/);
  });
  // A fresh browser context: the link alone reopens the comparison.
  await withPage(browser, 'runs compare permalink', async (page) => {
    await page.goto(link);
    const compare = page.getByRole('region', { name: 'Compare' });
    await compare.waitFor();
    const first = compare.getByRole('table', { name: 'Span differences' }).getByRole('row').nth(1);
    assert.match(await first.textContent(), /e2e-tests › POST 127\.0\.0\.1\/orders.*ERROR vs OK/);
  });
});

test('an exception group and the history reopen from their links', async () => {
  const base = `${site.url}#src=${encodeURIComponent(`${bucket.url}runs.zip`)}`;
  await withPage(browser, 'runs group permalink', async (page) => {
    await page.goto(`${base}&panel=history`);
    await page.getByRole('table', { name: 'Test history' }).waitFor();
    await nav(page).getByRole('button', { name: /^Exceptions/ }).click();
    const table = page.getByRole('table', { name: 'Exceptions' });
    await table.getByRole('button', { name: /ReadTimeout/ }).click();
    await page.waitForFunction(() => /panel=exceptions&.*group=[0-9a-f]{16}/.test(location.hash));
    const href = await page.evaluate(() => location.href);
    const other = await browser.newContext();
    const fresh = await other.newPage();
    await fresh.goto(href);
    const occurrences = fresh.getByRole('list', { name: 'Occurrences of httpx.ReadTimeout' });
    await occurrences.waitFor();
    assert.equal(await occurrences.getByRole('listitem').count(), 2);
    await other.close();
  });
});

test('a search with no match in the trace in view says where the matches are and steps there', async () => {
  await withPage(browser, 'runs search elsewhere', async (page) => {
    await page.goto(`${site.url}#src=${encodeURIComponent(`${bucket.url}runs.zip`)}`);
    await loaded(page, '30 traces').waitFor();
    await page.getByRole('searchbox', { name: 'Filter traces' }).fill('order-api ready');
    await page.getByRole('listbox', { name: 'Traces' }).getByRole('option', { name: /order-api ready/ }).first().click();
    await page.getByRole('searchbox', { name: 'Search spans' }).fill('carrier busy');
    await page.getByRole('status').filter({ hasText: 'No matches in this trace; 14 in 6 other traces' }).waitFor();
    await page.getByRole('button', { name: 'Show the next trace with matches' }).click();
    await page.getByRole('status').filter({ hasText: /^2 matches \(1 of 2 selected\)$/ }).waitFor();
    await page.getByRole('treegrid').getByRole('row', { name: /carrier busy, retrying quote 1/, selected: true }).waitFor();
  });
});

test('a file without CI run attributes is its own run, and the alert says so', async () => {
  await withPage(browser, 'runs fallback note', async (page) => {
    await page.goto(site.url);
    await loaded(page, 'traces').waitFor();
    await open(page, [join(FIXTURES, 'runs.zip'), join(FIXTURES, 'edge', 'missing_parent.json')]);
    await loaded(page, '31 traces').waitFor();
    const alert = page.getByRole('alert');
    await alert.getByText(/^Runs: 1 trace carries no CI run attribute .*grouped into runs by the file or archive folder they came from\.$/).waitFor();
    await nav(page).getByRole('button', { name: /^Test history/ }).click();
    const table = page.getByRole('table', { name: 'Test history' });
    await table.getByRole('columnheader', { name: /^missing_parent\.json/ }).waitFor();
    assert.equal(await table.getByRole('columnheader').count(), 1 + 7 + 1);
  });
});

test('an aligned span compares its response bodies as trees, the differing keys marked', async () => {
  await withPage(browser, 'runs compare payloads', async (page) => {
    await page.goto(`${site.url}#src=${encodeURIComponent(`${bucket.url}runs.zip`)}&panel=history`);
    const table = page.getByRole('table', { name: 'Test history' });
    // test_create_order: failed once, when the carrier was down (run 4).
    await table.getByRole('row').nth(3).getByRole('button', { name: 'Compare' }).click();
    const compare = page.getByRole('region', { name: 'Compare' });
    await compare.getByRole('table', { name: 'Aligned spans' }).getByRole('button', { name: /Reading response body/ }).click();
    const failing = compare.getByRole('tree', { name: 'http.response.body.text (failing)' });
    await failing.waitFor();
    // The failing run answered {"detail", "error"}, the passing one {"order_id", "status", ...}.
    await failing.getByRole('treeitem', { name: /≠ .*detail|detail.*≠/ }).first().waitFor();
    const passing = compare.getByRole('tree', { name: 'http.response.body.text (passing)' });
    await passing.getByRole('treeitem', { name: /order_id/ }).first().waitFor();
    assert.match(await compare.getByText(/^Differing keys: /).textContent(), /\$\.order_id/);
  });
});
