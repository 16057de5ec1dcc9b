// The SQL view on the sample: a query run with Ctrl+Enter, its results table, a span_id cell that
// opens that span in the waterfall, an engine error announced with its position, a saved example,
// and a permalink with a query that reopens the view and runs it in a fresh page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, withPage } from './harness.mjs';

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

const loaded = (page) => page.getByRole('status').filter({ hasText: 'traces' }).first();
const nav = (page) => page.getByRole('navigation', { name: 'Across runs' });
const editor = (page) => page.getByRole('textbox', { name: 'SQL query' });
const results = (page) => page.getByRole('table', { name: 'Query results' });
const selectedRow = (page) => page.getByRole('treegrid').locator('[role=row][aria-selected=true]');

/** The results table's cells as text: the header row, then one array per row. */
async function cells(page) {
  await results(page).waitFor();
  return results(page).getByRole('row').evaluateAll((rows) => rows.map((r) =>
    [...r.querySelectorAll('th, td')].map((c) => c.textContent.trim())));
}

test('a query runs with Ctrl+Enter, and a span_id cell opens that span', async () => {
  await withPage(browser, 'sql query', async (page) => {
    // The engine's worker is not fetched before the view opens (then it loads at once).
    const fetched = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(site.url);
    await loaded(page).waitFor();
    await page.waitForTimeout(500);
    assert.ok(!fetched.some((p) => p.includes('sql-worker')), 'the engine loads on first use');
    const engine = page.waitForRequest((r) => r.url().includes('sql-worker_bg.wasm'));
    await nav(page).getByRole('button', { name: 'SQL' }).click();
    await engine;
    await editor(page).fill(
      "SELECT span_name, service_name, trace_id, span_id FROM records\nWHERE attributes->>'order_id' = '6085f5e63d1f'");
    await editor(page).press('Control+Enter');
    const rows = await cells(page);
    assert.deepEqual(rows[0], ['span_name', 'service_name', 'trace_id', 'span_id']);
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[1].slice(0, 2), ['order {order_id} reserved', 'order-worker']);
    await page.getByRole('status').filter({ hasText: /^1 row in \d+ ms/ }).waitFor();
    // The permalink keeps the query.
    await page.waitForFunction(() => location.hash.includes('panel=sql') && location.hash.includes('sql=SELECT'));
    const spanId = rows[1][3];
    await results(page).getByRole('button', { name: `Open span ${spanId}` }).click();
    await page.getByRole('treegrid').waitFor();
    await page.waitForFunction((id) => location.hash.includes(`span=${id}`), spanId);
    assert.match(await selectedRow(page).textContent(), /order 6085f5e63d1f reserved/);
  });
});

test('an engine error is announced with where the query went wrong', async () => {
  await withPage(browser, 'sql error', async (page) => {
    await page.goto(site.url);
    await loaded(page).waitFor();
    await nav(page).getByRole('button', { name: 'SQL' }).click();
    await editor(page).fill('SELECT span_name\nFROM records WHER x');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'SQL error' });
    await alert.waitFor();
    assert.match(await alert.textContent(), /found: x at Line: 2, Column: 19/);
    // A query that is refused says why, and the next good one runs.
    await editor(page).fill("COPY (SELECT 1) TO 'out.csv'");
    await editor(page).press('Control+Enter');
    await page.getByRole('alert').filter({ hasText: 'not supported' }).waitFor();
    await editor(page).fill('SELECT count(*) AS spans FROM records');
    await editor(page).press('Control+Enter');
    assert.deepEqual((await cells(page))[1], ['33']);
  });
});

test('saved examples run, and the columns are listed', async () => {
  await withPage(browser, 'sql examples', async (page) => {
    await page.goto(site.url);
    await loaded(page).waitFor();
    await nav(page).getByRole('button', { name: 'SQL' }).click();
    await page.getByRole('group', { name: 'Example queries' })
      .getByRole('button', { name: 'Statistics per service and operation' }).click();
    const rows = await cells(page);
    assert.deepEqual(rows[0], ['service_name', 'span_name', 'count', 'total', 'avg', 'min', 'max', 'self_total']);
    assert.ok(rows.length > 5);
    assert.match(await editor(page).inputValue(), /^WITH children AS/);
    await page.getByRole('button', { name: 'Columns' }).click();
    const columns = page.getByRole('table', { name: 'Columns of records' });
    await columns.getByRole('rowheader', { name: 'otel_status_message' }).waitFor();
    await columns.getByRole('rowheader', { name: 'test_name' }).waitFor();
  });
});

test('a permalink with a query opens the SQL view and runs it', async () => {
  await withPage(browser, 'sql permalink', async (page) => {
    const sql = "SELECT service_name, count(*) AS n FROM records GROUP BY service_name ORDER BY n DESC";
    await page.goto(`${site.url}#panel=sql&sql=${encodeURIComponent(sql)}`);
    const rows = await cells(page);
    assert.deepEqual(rows.slice(1), [['order-worker', '16'], ['e2e-tests', '10'], ['order-api', '7']]);
    assert.equal(await editor(page).inputValue(), sql);
  });
});

test('a long query shows its running time and Cancel stops it; the next query runs', async () => {
  await withPage(browser, 'sql cancel', async (page) => {
    await page.goto(site.url);
    await loaded(page).waitFor();
    await nav(page).getByRole('button', { name: 'SQL' }).click();
    // A hundred million steps of a recursive query, one row each: minutes of work.
    await editor(page).fill('WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 100000000) SELECT count(*) FROM t');
    await editor(page).press('Control+Enter');
    await page.getByRole('status').filter({ hasText: /^Running… \d+\.\d s$/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Run', exact: true }).isDisabled(), true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('status').filter({ hasText: 'Cancelled.' }).waitFor();
    await editor(page).fill('SELECT count(*) AS spans FROM records');
    await editor(page).press('Control+Enter');
    assert.deepEqual((await cells(page))[1], ['33']);
  });
});

test('a JSON cell opens into a tree of its attributes', async () => {
  await withPage(browser, 'sql json cell', async (page) => {
    const sql = "SELECT span_name, attributes FROM records WHERE attributes->>'order_id' = '6085f5e63d1f'";
    await page.goto(`${site.url}#panel=sql&sql=${encodeURIComponent(sql)}`);
    await results(page).waitFor();
    await results(page).getByRole('row').nth(1).getByRole('cell').nth(1).locator('summary').click();
    const tree = results(page).getByRole('tree', { name: 'attributes' });
    await tree.getByRole('treeitem').filter({ hasText: 'order_id' }).first().waitFor();
    assert.match(await tree.textContent(), /6085f5e63d1f/);
  });
});
