// A page just opened with #src=: the common case of a link from a CI summary, where the page,
// its WebAssembly and the trace all load at once. Prints the time from navigation to the painted
// waterfall against the same page's fetch + TextDecoder + JSON.parse of the same URL (the
// baseline, measured after, in the same page), and when the trace's request started.
// Usage: node tests/bench/cold.mjs FILE... [RUNS env SIGHTLINE_COLD_RUNS, default 3]
//        (SIGHTLINE_DIST=dir serves another build)
import { basename, dirname } from 'node:path';
import { serve, launch } from '../e2e/harness.mjs';

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: node tests/bench/cold.mjs FILE...');
  process.exit(2);
}
const runs = +(process.env.SIGHTLINE_COLD_RUNS || 3);
const site = await serve(process.env.SIGHTLINE_DIST || undefined);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const browser = await launch();
console.log('| file | painted from navigation, ms | fetch + parse in the same page, ms (baseline) | ratio | trace request started at, ms |');
console.log('|---|---|---|---|---|');
try {
  for (const file of files) {
    const data = await serve(dirname(file), '/', { cors: true });
    const url = data.url + basename(file);
    const rows = [];
    for (let r = 0; r < runs; r++) {
      // A fresh context: nothing cached, no service worker, nothing compiled.
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${site.url}#src=${encodeURIComponent(url)}`);
      await page.waitForFunction(() => performance.getEntriesByName('sightline:painted').length > 0, null, { timeout: 600_000, polling: 50 });
      const m = await page.evaluate(async (u) => {
        const painted = performance.getEntriesByName('sightline:painted')[0].startTime;
        const request = performance.getEntriesByType('resource').find((e) => e.name === u);
        const t = performance.now();
        const text = new TextDecoder().decode(await (await fetch(u, { cache: 'no-store' })).arrayBuffer());
        if (!JSON.parse(text)) throw new Error('empty');
        return { painted, baseline: performance.now() - t, requested: request ? request.startTime : NaN };
      }, url);
      rows.push(m);
      await context.close();
    }
    const painted = median(rows.map((m) => m.painted));
    const baseline = median(rows.map((m) => m.baseline));
    const requested = median(rows.map((m) => m.requested));
    console.log(`| ${basename(file)} | ${painted.toFixed(0)} | ${baseline.toFixed(0)} | ${(painted / baseline).toFixed(2)} | ${requested.toFixed(0)} |`);
    await data.close();
  }
} finally {
  await browser.close();
  await site.close();
}
