// Opens multi-run files (the runs50, runs200 and runs2 profiles of core/examples/generate.rs)
// in the release build, then each panel across runs (test history, exceptions, compare), and
// prints how long each took to show against the time the same page took to open the file (the
// baseline, measured in the same run), and the longest main-thread task while it was shown
// (0: none over 50 ms).
// Usage: node tests/bench/runs.mjs FILE...   (SIGHTLINE_DIST=dir serves another build)
import { basename } from 'node:path';
import { serve, launch, pageWithFile, watchLongTasks, longestTask } from '../e2e/harness.mjs';

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: node tests/bench/runs.mjs FILE...');
  process.exit(2);
}


const site = await serve(process.env.SIGHTLINE_DIST || undefined);
const browser = await launch();
const rows = [];
try {
  for (const file of files) {
    const page = await pageWithFile(browser, site.url, file, { beforeOpen: watchLongTasks });
    await longestTask(page, 400);
    // The baseline: the time from the file's bytes in memory to the painted waterfall.
    const load = await page.evaluate(() => {
      const t = (n) => performance.getEntriesByName(n)[0]?.startTime;
      return t('sightline:painted') - t('sightline:bytes');
    });
    const nav = page.getByRole('navigation', { name: 'Across runs' });
    const panel = async (button, ready) => {
      await watchLongTasks(page);
      const t = Date.now();
      await nav.getByRole('button', { name: button }).click();
      await ready.waitFor({ timeout: 60_000 });
      const shown = Date.now() - t;
      return { shown, blocked: await longestTask(page, 400) };
    };
    const history = await panel(/^Test history/, page.getByRole('table', { name: 'Test history' }));
    const exceptions = await panel(/^Exceptions/, page.getByRole('table', { name: 'Exceptions' }));
    const compare = await panel(/^Compare/, page.getByRole('table', { name: 'Span differences' }));
    const cell = (p) => `${p.shown} (${(p.shown / load).toFixed(2)}) / ${p.blocked.toFixed(0)}`;
    rows.push({
      file: basename(file),
      load: load.toFixed(0),
      history: cell(history),
      exceptions: cell(exceptions),
      compare: cell(compare),
    });
    await page.close();
  }
} finally {
  await browser.close();
  await site.close();
}
console.log('| file | opening it: bytes to painted, ms (baseline) | Test history: shown, ms (ratio) / longest task, ms | Exceptions | Compare |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.file} | ${r.load} | ${r.history} | ${r.exceptions} | ${r.compare} |`);
