// SQL in the browser on a large trace, against a baseline measured in the same page: the time
// the page took to open the file (bytes in memory to the painted waterfall). Then opening the
// SQL view, which loads the engine's worker, hands it the session and builds the records table;
// the first GROUP BY service_name, span_name; and the same query again. Prints each time with its ratio to the baseline, the table's build time
// as the worker measured it, and the page's longest main-thread task meanwhile.
// Usage: node tests/bench/sql.mjs FILE...   (SIGHTLINE_DIST=dir serves another build)
import { basename } from 'node:path';
import { serve, launch, pageWithFile, watchLongTasks, longestTask } from '../e2e/harness.mjs';

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: node tests/bench/sql.mjs FILE...');
  process.exit(2);
}
const QUERY = 'SELECT service_name, span_name, count(*) AS spans, sum(duration) AS total, avg(duration) AS mean, '
  + 'max(duration) AS longest FROM records GROUP BY service_name, span_name ORDER BY total DESC';


const site = await serve(process.env.SIGHTLINE_DIST || undefined);
const browser = await launch();
const rows = [];
try {
  for (const file of files) {
    const page = await pageWithFile(browser, site.url, file);
    const load = await page.evaluate(() => {
      const t = (n) => performance.getEntriesByName(n)[0]?.startTime;
      return t('sightline:painted') - t('sightline:bytes');
    });
    await page.waitForTimeout(2000);
    // Opening the view loads the engine and hands it the session: timed to the table built.
    const opened = Date.now();
    await page.getByRole('navigation', { name: 'Across runs' }).getByRole('button', { name: 'SQL' }).click();
    await page.waitForFunction(() => performance.getEntriesByName('sightline:sql-table').length > 0, null, { timeout: 600_000, polling: 50 });
    const ready = Date.now() - opened;
    const editor = page.getByRole('textbox', { name: 'SQL query' });
    await editor.fill(QUERY);
    const status = page.getByRole('status').filter({ hasText: /^\d[\d,]* rows? in \d+ ms/ });
    const run = async () => {
      await watchLongTasks(page);
      const t = Date.now();
      await editor.press('Control+Enter');
      await status.waitFor({ timeout: 600_000 });
      const shown = Date.now() - t;
      const text = await status.textContent();
      return { shown, text, blocked: await longestTask(page, 300) };
    };
    const first = await run();
    const built = Number(first.text.match(/built in (\d+) ms/)?.[1]);
    await page.getByRole('button', { name: 'Columns' }).click();
    await page.getByRole('button', { name: 'Columns' }).click();
    // The same query again: its status must change to be seen, so clear it first.
    await editor.fill(`${QUERY} `);
    const again = await run();
    const queryMs = Number(again.text.match(/in (\d+) ms/)?.[1]);
    rows.push({
      file: basename(file),
      load: load.toFixed(0),
      ready: `${ready} (${(ready / load).toFixed(2)}x)`,
      first: `${first.shown} (${(first.shown / load).toFixed(2)}x)`,
      built,
      again: `${again.shown} (${(again.shown / load).toFixed(3)}x)`,
      queryMs,
      blocked: `${first.blocked.toFixed(0)} / ${again.blocked.toFixed(0)}`,
    });
    await page.close();
  }
} finally {
  await browser.close();
  await site.close();
}
console.log('| file | opening it, ms (baseline) | SQL view opened to table built: engine loaded, session handed over, table built, ms (ratio) | of which the table, ms | first GROUP BY, ms (ratio) | again, ms (ratio) | of which the engine, ms | longest main-thread task, ms: first / again |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.file} | ${r.load} | ${r.ready} | ${r.built} | ${r.first} | ${r.again} | ${r.queryMs} | ${r.blocked} |`);
