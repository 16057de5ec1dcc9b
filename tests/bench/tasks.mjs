// Opens a trace file in the release build with the browser's tracing on and lists the main
// thread's longest tasks during the load, each broken down by what the renderer did in it
// (script, style, layout, paint, ...): for finding what makes the opening task long.
// Usage: node tests/bench/tasks.mjs FILE [RUNS]   (SIGHTLINE_DIST=dir serves another build)
import { basename } from 'node:path';
import { serve, launch, spareDecoderWarm } from '../e2e/harness.mjs';

const [file, runsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node tests/bench/tasks.mjs FILE [RUNS]');
  process.exit(2);
}
const site = await serve(process.env.SIGHTLINE_DIST || undefined);
const browser = await launch();
try {
  for (let run = 0; run < (+runsArg || 1); run++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(site.url);
    await page.getByRole('status').filter({ hasText: 'Loaded' }).waitFor({ timeout: 60_000 });
    await spareDecoderWarm(page);
    await page.evaluate(() => performance.clearMarks());
    const cdp = await page.context().newCDPSession(page);
    const events = [];
    cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
    const done = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
    await cdp.send('Tracing.start', {
      categories: 'devtools.timeline,disabled-by-default-devtools.timeline,blink.user_timing,v8,disabled-by-default-v8.gc' + (process.env.TASKS_MORE ? ',blink,loading' : ''),
      transferMode: 'ReportEvents',
    });
    await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(file);
    await page.waitForFunction(() => performance.getEntriesByName('sightline:painted').length > 0, null, { timeout: 600_000, polling: 50 });
    await page.waitForTimeout(500);
    await cdp.send('Tracing.end');
    await done;
    const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
    const onMain = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X');
    const bytes = events.find((e) => e.name === 'sightline:bytes');
    const from = bytes ? bytes.ts : 0;
    const tasks = onMain.filter((e) => e.name === 'RunTask' && e.ts >= from).sort((a, b) => b.dur - a.dur).slice(0, 4);
    console.log(`${basename(file)} run ${run + 1}: longest tasks after the bytes`);
    for (const t of tasks) {
      const inside = onMain.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur);
      const by = new Map();
      for (const e of inside) {
        // Only the outermost events of each kind, so nested ones are not counted twice.
        const nested = inside.some((o) => o !== e && o.name === e.name && o.ts <= e.ts && o.ts + o.dur >= e.ts + e.dur && o.dur > e.dur);
        if (!nested) by.set(e.name, (by.get(e.name) ?? 0) + e.dur / 1000);
      }
      const top = [...by].filter(([n]) => !/^(ThreadControllerImpl|RunTask)/.test(n)).sort((a, b) => b[1] - a[1]).slice(0, +(process.env.TASKS_TOP || 8))
        .map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join(', ');
      console.log(`  ${(t.dur / 1000).toFixed(1)} ms at +${((t.ts - from) / 1000).toFixed(0)} ms: ${top}`);
    }
    await cdp.detach();
    await page.close();
  }
} finally {
  await browser.close();
  await site.close();
}
