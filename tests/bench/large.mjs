// Opens a file larger than a tab could hold whole: the 100k-span benchmark trace written 25 times
// as JSON Lines with trace ids of their own (about 2.5 GB, generated into target/bench once), and
// the 1M-span file. Prints the time to the painted waterfall (and to the first preview shown
// while it is read, with the number of previews), the scroll frames after it, and the
// decoder worker's and the page's wasm memory against the file's size.
// Usage: node tests/bench/large.mjs RICH_100K_FILE ONE_MILLION_FILE
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import { serve, launch, pageWithFile } from '../e2e/harness.mjs';

const [rich, million] = process.argv.slice(2);
if (!rich) {
  console.error('usage: node tests/bench/large.mjs RICH_100K_FILE [ONE_MILLION_FILE]');
  process.exit(2);
}
const COPIES = +(process.env.SIGHTLINE_LARGE_COPIES || 25);

/** The rich file `COPIES` times, one document per line, each copy's trace ids made its own. */
async function generate(out) {
  if (existsSync(out)) return out;
  const doc = JSON.stringify(JSON.parse(await readFile(rich, 'utf8')));
  const tmp = `${out}.part`;
  const file = createWriteStream(tmp);
  for (let i = 0; i < COPIES; i++) {
    const suffix = i.toString(16).padStart(6, '0');
    const line = doc.replace(/"traceId":"([0-9a-f]{26})[0-9a-f]{6}"/g, `"traceId":"$1${suffix}"`) + '\n';
    if (!file.write(line)) await once(file, 'drain');
  }
  file.end();
  await once(file, 'finish');
  await rename(tmp, out);
  return out;
}

const large = await generate(join(dirname(rich), `trace-${COPIES}x-${basename(rich, '.json')}.jsonl`));
const site = await serve(process.env.SIGHTLINE_DIST || undefined);
const browser = await launch();
console.log('| file | GB | spans | painted after choosing the file, s | first preview, s | previews | scroll frame p95, ms | worker memory | page memory | worker / file |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
try {
  for (const file of [large, million].filter(Boolean)) {
    const size = statSync(file).size;
    let t0;
    const page = await pageWithFile(browser, site.url, file, {
      beforeOpen: () => { t0 = Date.now(); },
      timeout: 1_800_000,
    });
    const painted = (Date.now() - t0) / 1000;
    const status = await page.getByRole('status').first().textContent();
    const spans = status.match(/Loaded ([\d,]+) spans/)?.[1] ?? '?';
    // Scroll the waterfall and time the frames meanwhile.
    await page.getByRole('treegrid').hover();
    const timing = page.evaluate(async () => {
      const times = [];
      let last = performance.now();
      await new Promise((done) => {
        const step = (t) => {
          times.push(t - last);
          last = t;
          if (times.length < 120) requestAnimationFrame(step);
          else done();
        };
        requestAnimationFrame(step);
      });
      return times;
    });
    for (let i = 0; i < 40; i++) await page.mouse.wheel(0, 600);
    const frames = await timing;
    const sorted = [...frames].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)];
    const stats = await page.evaluate(() => window.sightlineStats || {});
    // Previews shown while the file was read: the first, from the first bytes handed on.
    const previews = await page.evaluate(() => {
      const shown = performance.getEntriesByName('sightline:preview');
      const bytes = performance.getEntriesByName('sightline:bytes')[0];
      return { count: shown.length, first: shown.length && bytes ? (shown[0].startTime - bytes.startTime) / 1000 : null };
    });
    const gb = (b) => `${(b / 1e9).toFixed(2)} GB`;
    const first = previews.first === null ? 'none' : previews.first.toFixed(1);
    console.log(`| ${basename(file)} | ${(size / 1e9).toFixed(2)} | ${spans} | ${painted.toFixed(1)} | ${first} | ${previews.count} | ${p95.toFixed(1)} | ${gb(stats.workerMemoryBytes)} | ${gb(stats.pageMemoryBytes)} | ${(stats.workerMemoryBytes / size).toFixed(2)}x |`);
    await page.close();
  }
} finally {
  await browser.close();
  await site.close();
}
