// A page just opened with #src= while the trace arrives at a paced rate (100 Mbit/s and 1 Gbit/s
// by default), as from an artifact store over a real link: prints the time from navigation to
// the painted waterfall against the time the transfer alone takes at the same rate (the
// baseline: the same page fetching the same URL to its last byte, measured after, in the same
// page). A decoder that waits for the last byte cannot go under about 1x plus the decode.
// Usage: node tests/bench/throttled.mjs FILE... (env SIGHTLINE_RATES="100,1000" in Mbit/s,
//        SIGHTLINE_COLD_RUNS runs each, default 3; SIGHTLINE_DIST=dir serves another build)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { serve, launch } from '../e2e/harness.mjs';

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: node tests/bench/throttled.mjs FILE...');
  process.exit(2);
}
const rates = (process.env.SIGHTLINE_RATES || '100,1000').split(',').map(Number);
const runs = +(process.env.SIGHTLINE_COLD_RUNS || 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Serves `body` at `mbits` Mbit/s (with CORS), in 64 KB writes paced against the clock. */
async function paced(body, mbits) {
  const bytesPerMs = (mbits * 1e6) / 8 / 1000;
  const server = createServer((req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': body.length,
      'access-control-allow-origin': '*',
      'cache-control': 'no-store',
    });
    const started = performance.now();
    let sent = 0;
    const pump = () => {
      const due = Math.min(body.length, Math.floor((performance.now() - started) * bytesPerMs));
      while (sent < due) {
        const end = Math.min(due, sent + 65536);
        res.write(body.subarray(sent, end));
        sent = end;
      }
      if (sent >= body.length) res.end();
      else setTimeout(pump, 1);
    };
    pump();
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/trace.json`, close: () => new Promise((ok) => server.close(ok)) };
}

const site = await serve(process.env.SIGHTLINE_DIST || undefined);
const browser = await launch();
console.log('| file | rate | painted from navigation, ms | transfer alone in the same page, ms (baseline) | ratio |');
console.log('|---|---|---|---|---|');
try {
  for (const file of files) {
    const body = await readFile(file);
    for (const mbits of rates) {
      const data = await paced(body, mbits);
      const rows = [];
      for (let r = 0; r < runs; r++) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        const page = await context.newPage();
        await page.goto(`${site.url}#src=${encodeURIComponent(data.url)}`);
        await page.waitForFunction(() => performance.getEntriesByName('sightline:painted').length > 0, null, { timeout: 600_000, polling: 50 });
        rows.push(await page.evaluate(async (u) => {
          const painted = performance.getEntriesByName('sightline:painted')[0].startTime;
          const t = performance.now();
          await (await fetch(u, { cache: 'no-store' })).arrayBuffer();
          return { painted, transfer: performance.now() - t };
        }, data.url));
        await context.close();
      }
      const painted = median(rows.map((m) => m.painted));
      const transfer = median(rows.map((m) => m.transfer));
      console.log(`| ${basename(file)} | ${mbits} Mbit/s | ${painted.toFixed(0)} | ${transfer.toFixed(0)} | ${(painted / transfer).toFixed(2)} |`);
      await data.close();
    }
  }
} finally {
  await browser.close();
  await site.close();
}
