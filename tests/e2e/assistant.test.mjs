// "Copy for an assistant" on the sample: the failure and any span, copied as Markdown with their
// whole context, the very text `sightline context` prints (its snapshot is the expected copy).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, launch, withPage, ROOT } from './harness.mjs';

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
const copied = (page) => page.evaluate(() => navigator.clipboard.readText());

test('a failure and a span are copied with their whole context', async () => {
  await withPage(browser, 'copy for an assistant', async (page) => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(site.url);
    await loaded(page).waitFor();
    const failure = page.getByRole('region', { name: 'Failures' }).getByRole('listitem').first();
    await failure.getByRole('button', { name: 'Copy for an assistant' }).click();
    await failure.getByRole('button', { name: 'Copy for an assistant' }).filter({ hasText: 'Copied' }).waitFor();
    const expected = await readFile(join(ROOT, 'cli/tests/snapshots/context-order-e2e.md'), 'utf8');
    assert.equal(await copied(page), expected);

    // Any span: the one selected (the failure's cause), then its parent request.
    const details = page.getByRole('region', { name: 'Span details' });
    await page.getByRole('treegrid').getByRole('row', { name: /POST \/orders/ }).last().click();
    await details.getByRole('heading', { name: 'POST /orders' }).waitFor();
    await details.getByRole('button', { name: 'Copy for an assistant' }).click();
    await details.getByRole('button', { name: 'Copy for an assistant' }).filter({ hasText: 'Copied' }).waitFor();
    const text = await copied(page);
    assert.match(text, /^# Failing test `test_orders\.py::test_bulk_order`\n/);
    assert.match(text, /- The span in question: `POST \/orders` in service `order-api`/);
    assert.match(text, /\| 3 \| order-api \| POST \/orders \| server \|/);
  });
});
