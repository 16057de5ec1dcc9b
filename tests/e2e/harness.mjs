// Shared end-to-end harness: a static server for dist/ (optionally under a path prefix), Debian's
// Chromium driven by playwright-core, and a test wrapper that saves a screenshot when a test fails.
import { createServer } from 'node:http';
import { readFile, writeFile, mkdir, stat } from 'node:fs/promises';
import zlib from 'node:zlib';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = join(ROOT, 'dist');
export const FIXTURES = join(ROOT, 'tests/fixtures');
const RESULTS = join(ROOT, 'test-results');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/**
 * Serves `dir` at http://127.0.0.1:<free port><prefix>; resolves to { url, close }.
 * `cors: true` adds `Access-Control-Allow-Origin: *`, as an artifact bucket configured for
 * Sightline would.
 */
export async function serve(dir = DIST, prefix = '/', { cors = false } = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!path.startsWith(prefix)) {
      res.writeHead(404).end('not found');
      return;
    }
    let file = normalize(join(dir, path.slice(prefix.length)));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      // As static hosts do: the size up front (the page shows progress and the decoder makes
      // memory ready for it).
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length };
      if (cors) headers['access-control-allow-origin'] = '*';
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404, cors ? { 'access-control-allow-origin': '*' } : {}).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

/** Debian's Chromium, headless, with the flags this machine needs (see ../shared/TOOLCHAIN.md). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/**
 * Waits until the page's spare decoder has warmed up (the `sightline:spare-warm` mark). The next
 * load's decoder starts once a trace is on screen and warms up while the user reads it; a user
 * picking a file takes longer than that, so the benchmarks wait for it too (at most 20 s: builds
 * before it never say).
 */
export function spareDecoderWarm(page) {
  return page.waitForFunction(
    () => performance.getEntriesByName('sightline:spare-warm').length > 0, null, { timeout: 20_000, polling: 50 },
  ).catch(() => console.error('(the spare decoder never said it was warm)'));
}

/**
 * A fresh page of `siteUrl` (the sample loaded, its spare decoder warm) that opens `file` with
 * the file picker and has painted it (for the benchmarks). `beforeOpen(page)` runs just before
 * the file is chosen; `sightline:*` marks are those of this load only.
 */
export async function pageWithFile(browser, siteUrl, file, { beforeOpen, timeout = 600_000 } = {}) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(siteUrl);
  await page.getByRole('status').filter({ hasText: 'Loaded' }).waitFor({ timeout: 60_000 });
  await spareDecoderWarm(page);
  await page.evaluate(() => performance.clearMarks());
  await beforeOpen?.(page);
  await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(file);
  await page.waitForFunction(() => performance.getEntriesByName('sightline:painted').length > 0, null, { timeout, polling: 100 });
  return page;
}

/** Starts recording the page's long main-thread tasks afresh (for the benchmarks). */
export function watchLongTasks(page) {
  return page.evaluate(() => {
    window.__longTasks = [];
    window.__observer?.disconnect();
    window.__observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(e.duration);
    });
    window.__observer.observe({ type: 'longtask', buffered: false });
  });
}

/** The longest task since `watchLongTasks`, once the page settled `settleMs` (0: none over 50 ms). */
export async function longestTask(page, settleMs) {
  await page.waitForTimeout(settleMs);
  return page.evaluate(() => Math.max(0, ...window.__longTasks));
}

/**
 * Runs `body(page)` in a fresh page; on failure saves test-results/<name>.png, then rethrows.
 * Console errors and uncaught page errors fail the test: a panic must never pass silently.
 */
export async function withPage(browser, name, body, { allowConsoleErrors = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !allowConsoleErrors) pageErrors.push(m.text());
  });
  try {
    await body(page);
    if (pageErrors.length) throw new Error(`errors in the page:\n${pageErrors.join('\n')}`);
  } catch (err) {
    await mkdir(RESULTS, { recursive: true });
    const file = join(RESULTS, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    err.message += `\n(screenshot: ${file})`;
    throw err;
  } finally {
    await context.close();
  }
}

/** Span, trace and service counts of an OTLP/JSON file, computed here independently of the app. */
export async function otlpCounts(path) {
  const doc = JSON.parse(await readFile(path, 'utf8'));
  const spans = new Set();
  const traces = new Set();
  const services = new Set();
  for (const rs of doc.resourceSpans) {
    const svc = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue;
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        spans.add(`${s.traceId}/${s.spanId}`);
        traces.add(s.traceId);
        services.add(svc ?? 'unknown_service');
      }
    }
  }
  return { spans: spans.size, traces: traces.size, services: services.size };
}

/** A minimal zip writer (deflate), enough to build a CI artifact with folders. */
export function zipArchive(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBuf = Buffer.from(name);
    const raw = Buffer.from(data);
    const packed = zlib.deflateRawSync(raw);
    const crc = zlib.crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, packed);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + packed.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** The sample as the Collector's file exporter writes it: a request per line, children first. */
export async function sampleAsJsonLines() {
  const doc = JSON.parse(await readFile(join(FIXTURES, 'order-e2e.json'), 'utf8'));
  return doc.resourceSpans.map((rs) => JSON.stringify({ resourceSpans: [rs] })).reverse().join('\n') + '\n';
}

/** Writes the CI artifacts the ingest tests open into `dir`; returns their paths. */
export async function makeArtifacts(dir) {
  await mkdir(dir, { recursive: true });
  const sample = await readFile(join(FIXTURES, 'order-e2e.json'));
  const yelp = await readFile(join(ROOT, 'tests/fixtures/corpus/openzipkin__zipkin__zipkin-lens_testdata_yelp.json'));
  const files = {
    gz: join(dir, 'order-e2e.json.gz'),
    jsonl: join(dir, 'order-e2e.jsonl'),
    zip: join(dir, 'e2e-artifacts.zip'),
  };
  await writeFile(files.gz, zlib.gzipSync(sample));
  await writeFile(files.jsonl, await sampleAsJsonLines());
  await writeFile(
    files.zip,
    zipArchive([
      { name: 'traces/order-e2e.json', data: sample },
      { name: 'traces/zipkin/yelp.json.gz', data: zlib.gzipSync(yelp) },
      { name: 'logs/pytest.log', data: 'FAILED test_orders.py::test_bulk_order - assert 500 == 200\n' },
    ]),
  );
  return files;
}
