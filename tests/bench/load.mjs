// Loads generated traces into the release build in headless Chromium and prints what it costs,
// next to the same browser's TextDecoder + JSON.parse of the same bytes (the baseline).
// Usage: node tests/bench/load.mjs FILE...   (scripts/bench generates the files and runs this)
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { serve, launch, spareDecoderWarm } from '../e2e/harness.mjs';
import { CLOCK_SYNC, describe } from './profile.mjs';

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: node tests/bench/load.mjs FILE...');
  process.exit(2);
}
// SIGHTLINE_DIST serves another build (an A/B comparison against an older commit's dist).
const site = await serve(process.env.SIGHTLINE_DIST || undefined);
const data = await serve(dirname(files[0]), '/', { cors: true });
const browser = await launch();
const rows = [];
const interaction = [];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  for (const file of files) {
    const size = statSync(file).size;
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(site.url);
    await page.getByRole('status').filter({ hasText: 'Loaded' }).waitFor({ timeout: 60_000 });

    // Baseline: the same bytes, already in memory, through TextDecoder + JSON.parse (of each
    // line, for JSON Lines).
    const runs = size > 200e6 ? 1 : 3;
    const baselines = await page.evaluate(async ({ url, runs, lines }) => {
      const buf = await (await fetch(url)).arrayBuffer();
      const times = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const text = new TextDecoder().decode(buf);
        const parsed = lines ? text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)) : JSON.parse(text);
        times.push(performance.now() - t0);
        if (!parsed) throw new Error('empty');
      }
      return times;
    }, { url: data.url + basename(file), runs, lines: file.endsWith('.jsonl') });
    const baseline = median(baselines);

    // Sightline: from the moment the file's bytes are in memory (mark sightline:bytes) to the
    // decoded model on the page (sightline:decoded) and the first painted waterfall.
    await spareDecoderWarm(page);
    await page.evaluate(() => {
      performance.clearMarks();
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: false });
    });
    // SIGHTLINE_PROFILE=1 records the page's main thread during the load (a CPU profile) and
    // prints what ran in its longest task (tests/bench/profile.mjs).
    const cdp = process.env.SIGHTLINE_PROFILE ? await page.context().newCDPSession(page) : null;
    let synced = 0;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
      synced = await page.evaluate(CLOCK_SYNC);
    }
    await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(file);
    await page.waitForFunction(() => performance.getEntriesByName('sightline:painted').length > 0, null, { timeout: 600_000, polling: 100 });
    const profile = cdp ? (await cdp.send('Profiler.stop')).profile : null;
    const m = await page.evaluate(() => {
      const t = (n) => performance.getEntriesByName(n)[0]?.startTime;
      const bytes = t('sightline:bytes');
      const painted = t('sightline:painted');
      const longest = window.__longTasks
        .filter((e) => e.start + e.duration >= bytes && e.start <= painted)
        .reduce((a, e) => (a && a.duration >= e.duration ? a : e), null);
      return {
        bytesAt: bytes,
        decoded: t('sightline:decoded') - bytes,
        answer: t('sightline:answer') - bytes,
        painted: painted - bytes,
        blocked: longest?.duration ?? 0,
        longest,
        stats: window.sightlineStats,
        domRows: document.querySelectorAll('[role=treegrid] [role=row]').length,
        status: document.querySelector('[role=status]')?.textContent,
      };
    });
    if (cdp) {
      const at = m.longest ? `${(m.longest.start - m.bytesAt).toFixed(0)} ms after the bytes` : '';
      console.error(`${basename(file)}: the longest main-thread task (${m.blocked.toFixed(0)} ms, ${at})\n` +
        (m.longest ? describe(profile, synced, m.longest.start, m.longest.start + m.longest.duration, +(process.env.SIGHTLINE_PROFILE_TOP || 15)) : '  none'));
      // With no long task, what ran from the decoded model to the first paint (opening the view).
      if (!m.longest) {
        console.error(`${basename(file)}: from the decoded model to the first paint (${(m.painted - m.decoded).toFixed(0)} ms)\n` +
          describe(profile, synced, m.bytesAt + m.decoded, m.bytesAt + m.painted, +(process.env.SIGHTLINE_PROFILE_TOP || 15)));
      }
      await cdp.detach();
    }
    rows.push({
      file: basename(file),
      mb: (size / 1e6).toFixed(1),
      baseline: baseline.toFixed(0),
      decoded: m.decoded.toFixed(0),
      decodeRatio: (m.decoded / baseline).toFixed(2),
      painted: m.painted.toFixed(0),
      paintRatio: (m.painted / baseline).toFixed(2),
      workerMem: (m.stats.workerMemoryBytes / size).toFixed(2),
      pageMem: (m.stats.pageMemoryBytes / size).toFixed(2),
      blocked: m.blocked.toFixed(0),
      domRows: m.domRows,
    });
    const ms = (x) => `${x.toFixed(0)} ms`;
    console.error(`${basename(file)}: ${m.status}. Worker: ${ms(m.stats.copyMs)} copying the file in, ` +
      `${ms(m.stats.decodeMs - m.stats.encodeMs)} decoding and building trees, ${ms(m.stats.encodeMs)} encoding the model; ` +
      `the session on the page at ${ms(m.answer)}, all read by ${ms(m.decoded)} ` +
      `(its slowest piece ${ms(m.stats.slowestPartMs)}, a ${['strings', 'spans', 'truncate', 'expect', 'session head', 'trees head', 'nodes'][m.stats.slowestPartKind]} piece)`);

    // SIGHTLINE_LOAD_ONLY=1 skips the interaction (for quick A/B runs of loading).
    if (process.env.SIGHTLINE_LOAD_ONLY) { await page.close(); continue; }

    // Interaction: main-thread work per step, as p50 / p95 / max ms. A step starts in a frame's
    // requestAnimationFrame callback and ends at the next task, so it counts the script, the
    // UI's reactive updates and that frame's style, layout, paint and layerizing.
    const work = await page.evaluate(async () => {
      const grid = document.querySelector('[role=treegrid]');
      const tick = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });
      const settle = async () => { await tick(); grid.getBoundingClientRect(); document.body.offsetHeight; };
      const stats = (xs) => {
        const s = [...xs].sort((a, b) => a - b);
        const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
        return { p50: q(0.5), p95: q(0.95), max: s[s.length - 1] };
      };
      const measure = async (steps, act) => {
        const times = [];
        for (let i = 0; i < steps; i++) {
          await new Promise((r) => requestAnimationFrame(r));
          const t0 = performance.now();
          act(i);
          await settle();
          times.push(performance.now() - t0);
        }
        return stats(times);
      };
      // Scroll end to end in 200 jumps (every jump shows rows never rendered before), then
      // 200 wheel-sized steps of 3 rows.
      const height = grid.scrollHeight - grid.clientHeight;
      // Rows in the DOM after each jump (those in view: the margins follow once the view rests).
      const jumpRows = [];
      const scrollJump = await measure(200, (i) => {
        if (i) jumpRows.push(grid.querySelectorAll('[role=row]').length);
        grid.scrollTop = (height * (i + 1)) / 200; grid.dispatchEvent(new Event('scroll'));
      });
      const rest = async () => { await settle(); await new Promise((r) => setTimeout(r, 400)); await settle(); };
      grid.scrollTop = 0; grid.dispatchEvent(new Event('scroll')); await rest();
      const scrollWheel = await measure(200, (i) => { grid.scrollTop = (i + 1) * 78; grid.dispatchEvent(new Event('scroll')); });

      // Baselines: the browser doing the same DOM work with no framework. A plain copy of the
      // rendered rows is laid exactly over the real ones (which are hidden and no longer hear
      // scroll events), in view, so style, layout and paint count as they do for the app.
      grid.scrollTop = 0; grid.dispatchEvent(new Event('scroll')); await rest();
      const real = grid.querySelector('.wf-rows');
      // A jump's baseline replaces as many rows as the app's jumps rendered; a wheel step's works
      // on all the rows the view keeps at rest.
      const markup = real.innerHTML;
      const jumpCount = [...jumpRows].sort((a, b) => a - b)[jumpRows.length >> 1];
      const jumpMarkup = [...real.children].slice(0, jumpCount).map((r) => r.outerHTML).join('');
      const pool = document.createElement('div');
      pool.innerHTML = markup + markup.replaceAll('wf-row', 'wf-row x');
      const spare = [...pool.children];
      const deaf = (e) => e.stopImmediatePropagation();
      grid.addEventListener('scroll', deaf, { capture: true });
      const shadow = real.cloneNode(true);
      shadow.style.position = 'absolute';
      shadow.style.top = `${real.offsetTop}px`;
      shadow.style.left = '0';
      shadow.style.right = '0';
      real.style.visibility = 'hidden';
      grid.appendChild(shadow);
      await settle();
      const rowHeight = 26;
      const padding = () => parseFloat(shadow.style.paddingTop || '0');
      // Jumps: the rows replaced wholesale with innerHTML at a new scroll position.
      const plainDom = await measure(200, (i) => {
        const top = (height * (i + 1)) / 200;
        grid.scrollTop = top;
        shadow.style.paddingTop = `${Math.floor(top / rowHeight) * rowHeight}px`;
        shadow.innerHTML = i % 2 ? jumpMarkup : jumpMarkup.replaceAll('wf-row', 'wf-row x');
      });
      // Wheel steps: scroll 3 rows, drop the 3 rows that left at the top, append 3 at the bottom.
      grid.scrollTop = 0; shadow.style.paddingTop = '0px'; shadow.innerHTML = markup; await settle();
      let next = 0;
      const plainWheel = await measure(200, (i) => {
        grid.scrollTop = (i + 1) * 78;
        shadow.style.paddingTop = `${padding() + 3 * rowHeight}px`;
        for (let k = 0; k < 3; k++) {
          shadow.firstElementChild?.remove();
          shadow.appendChild(spare[next++ % spare.length].cloneNode(true));
        }
      });
      shadow.remove();
      real.style.visibility = '';
      grid.removeEventListener('scroll', deaf, { capture: true });
      grid.scrollTop = 0; grid.dispatchEvent(new Event('scroll')); await rest();
      // Ctrl+wheel zoom: 20 steps in around the middle, 20 out.
      const box = grid.getBoundingClientRect();
      const zoom = await measure(40, (i) => grid.dispatchEvent(new WheelEvent('wheel', {
        deltaY: i < 20 ? -120 : 120, ctrlKey: true, bubbles: true, cancelable: true,
        clientX: box.left + box.width * 0.7, clientY: box.top + 100,
      })));
      // Expand everything from one level.
      const depth = document.querySelector('select[aria-label="Collapse to depth"]');
      depth.value = '1'; depth.dispatchEvent(new Event('change', { bubbles: true })); await settle();
      const t0 = performance.now();
      depth.value = '0'; depth.dispatchEvent(new Event('change', { bubbles: true }));
      await settle();
      const expandAll = performance.now() - t0;
      const domNodes = document.querySelectorAll('*').length;
      // A session of many traces: the next trace, 100 times, by ArrowDown in the trace list (a
      // new waterfall each time, and the list following the selection).
      const list = document.querySelector('[role=listbox][aria-label=Traces]');
      const traces = Number(list?.querySelector('[role=option]')?.getAttribute('aria-setsize') ?? 0);
      const switchTrace = traces > 1
        ? await measure(Math.min(100, traces - 1), () => list.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true, cancelable: true })))
        : null;
      return { scrollJump, jumpCount, plainDom, scrollWheel, plainWheel, zoom, expandAll, switchTrace, traces, domNodes, rowCount: grid.getAttribute('aria-rowcount') };
    });
    interaction.push({ file: basename(file), ...work });
    await page.close();
  }
} finally {
  await browser.close();
  await site.close();
  await data.close();
}

console.log('\n| file | MB | JSON.parse ms | decoded ms (x baseline) | first paint ms (x baseline) | worker wasm memory (x file) | page wasm memory (x file) | longest main-thread block ms | DOM rows |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.file} | ${r.mb} | ${r.baseline} | ${r.decoded} (${r.decodeRatio}x) | ${r.painted} (${r.paintRatio}x) | ${r.workerMem}x | ${r.pageMem}x | ${r.blocked} | ${r.domRows} |`);
}

const f = (s) => `${s.p50.toFixed(1)} / ${s.p95.toFixed(1)} / ${s.max.toFixed(1)}`;
console.log('\n| file | rows shown | scroll, jumps: p50 / p95 / max ms (rows in the DOM after a jump) | baseline: same rows via innerHTML | scroll, 3 rows a step | baseline: 3 plain rows a step | Ctrl+wheel zoom | expand all ms | DOM nodes | next trace (ArrowDown in the list; traces) |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of interaction) {
  const next = r.switchTrace ? `${f(r.switchTrace)} (${r.traces})` : 'one trace';
  console.log(`| ${r.file} | ${r.rowCount} | ${f(r.scrollJump)} (${r.jumpCount}) | ${f(r.plainDom)} | ${f(r.scrollWheel)} | ${f(r.plainWheel)} | ${f(r.zoom)} | ${r.expandAll.toFixed(0)} | ${r.domNodes} | ${next} |`);
}
