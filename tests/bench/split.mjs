// What decoding a file in several workers at once could gain, at best: the floor of a split
// decode. Usage: node tests/bench/split.mjs FILE   (an OTLP/JSON document of several
// resourceSpans, such as target/bench/trace-100000-rich.json from scripts/bench); env
// SIGHTLINE_PARTS=4 splits it in four (default 2: a 4-way split on this 2-core machine is the
// simulated run of a 4-core one, and shows what the extra workers cost where there are no cores).
//
// In the release build's page, with the app's own decoder worker (dist/decoder_loader.js),
// warmed up and told the sizes to come as the app does, it times from the bytes in memory to
// the worker's last message:
//   - one worker decoding the whole file (the app's path, less the page reading the model),
//   - N workers each decoding a part of it: the document cut at the `{"resource":` nearest each
//     N-th of it into N valid documents (each part but the last closed with `]}`, each but the
//     first given the document's opening), the cut and its copies timed apart;
// next to the same browser's TextDecoder + JSON.parse of the same bytes (the baseline). The
// page reads nothing of the workers' answers and nothing is merged, so the two-worker time is a
// floor: a real split decode adds the page reading both answers (which competes for the same
// two cores), joining the halves and building the trees once both are in.
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { serve, launch } from '../e2e/harness.mjs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node tests/bench/split.mjs FILE');
  process.exit(2);
}
const rounds = +(process.env.SIGHTLINE_ROUNDS || 5);
const parts = +(process.env.SIGHTLINE_PARTS || 2);
const site = await serve(process.env.SIGHTLINE_DIST || undefined);
const data = await serve(dirname(file), '/', { cors: true });
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(site.url);
  const out = await page.evaluate(async ({ url, rounds, parts }) => {
    const buf = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

    // A warm worker that has made room for `sizes` (as the app's spare does while the browser
    // reads the file).
    const worker = async (sizes) => {
      const w = new Worker('./worker_loader.js');
      await new Promise((resolve) => {
        w.onmessage = (e) => {
          if (JSON.parse(e.data.head).kind === 'warm') resolve();
        };
      });
      // The worker's messages (core/src/wire/protocol.rs): a JSON head, and buffers beside it.
      w.postMessage({ head: JSON.stringify({ kind: 'expect', sizes }), data: [] });
      await sleep(300);
      return w;
    };
    const decode = (w, bytes) => new Promise((resolve, reject) => {
      w.onmessage = (e) => {
        const head = JSON.parse(e.data.head);
        if (head.kind === 'done') resolve(performance.now());
        if (head.kind === 'failed') reject(new Error(head.message));
      };
      w.postMessage({ head: JSON.stringify({ kind: 'decode', names: ['bench.json'] }), data: [bytes] }, [bytes.buffer]);
    });

    // The cut: the first `{"resource":` at or after the middle, and the document's opening (all
    // before its first one). Only a compact document of resourceSpans can be cut this way.
    const pattern = new TextEncoder().encode('{"resource":');
    const at = (i) => {
      for (let k = 0; k < pattern.length; k++) if (buf[i + k] !== pattern[k]) return false;
      return true;
    };
    const find = (from) => {
      for (let i = from; i + pattern.length <= buf.length; i++) if (at(i)) return i;
      return -1;
    };
    const cut = () => {
      const first = find(0);
      const bounds = [];
      for (let p = 1; p < parts; p++) {
        const at = find(Math.max(Math.floor((buf.length * p) / parts), (bounds.at(-1) ?? first) + 1));
        if (at <= first || buf[at - 1] !== 0x2c) throw new Error('no resourceSpans to cut at');
        bounds.push(at);
      }
      const close = new TextEncoder().encode(']}');
      const starts = [first, ...bounds];
      const ends = [...bounds.map((b) => b - 1), buf.length];
      return starts.map((start, p) => {
        const body = buf.subarray(start, ends[p]);
        const last = p === parts - 1;
        const out = new Uint8Array(first + body.length + (last ? 0 : close.length));
        out.set(buf.subarray(0, first));
        out.set(body, first);
        if (!last) out.set(close, first + body.length);
        return out;
      });
    };

    const baseline = [], one = [], two = [], cutting = [], shares = [];
    for (let round = 0; round < rounds; round++) {
      let t0 = performance.now();
      JSON.parse(new TextDecoder().decode(buf));
      baseline.push(performance.now() - t0);

      const single = await worker([buf.length]);
      const copy = buf.slice();
      t0 = performance.now();
      one.push((await decode(single, copy)) - t0);
      single.terminate();

      const workers = [];
      for (let p = 0; p < parts; p++) workers.push(await worker([buf.length / parts]));
      t0 = performance.now();
      const pieces = cut();
      const t1 = performance.now();
      cutting.push(t1 - t0);
      shares.push(Math.max(...pieces.map((p) => p.length)) / buf.length);
      const ends = await Promise.all(pieces.map((piece, p) => decode(workers[p], piece)));
      two.push(Math.max(...ends) - t1);
      for (const w of workers) w.terminate();
      await sleep(500);
    }
    return {
      baseline: median(baseline), one: median(one), two: median(two), cut: median(cutting),
      share: median(shares), all: { baseline, one, two, cutting },
    };
  }, { url: data.url + basename(file), rounds, parts });
  const ms = (x) => `${x.toFixed(0)} ms`;
  const x = (t) => `${(t / out.baseline).toFixed(2)}x`;
  console.log(`${basename(file)} (${(statSync(file).size / 1e6).toFixed(1)} MB), medians of ${rounds} rounds:`);
  console.log(`  TextDecoder + JSON.parse:            ${ms(out.baseline)}`);
  console.log(`  one worker, to its last message:     ${ms(out.one)} (${x(out.one)})`);
  console.log(`  ${parts} workers, to the last one's:      ${ms(out.two)} (${x(out.two)}), plus ${ms(out.cut)} cutting and copying (${x(out.two + out.cut)} with it); the largest part is ${(out.share * 100).toFixed(0)}% of the file`);
  console.log(`  every round: ${JSON.stringify(Object.fromEntries(Object.entries(out.all).map(([k, v]) => [k, v.map((t) => Math.round(t))])))}`);
} finally {
  await browser.close();
  await site.close?.();
  await data.close?.();
}
process.exit(0);
