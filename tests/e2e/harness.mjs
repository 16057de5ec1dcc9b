// Shared end-to-end harness: a static server for dist/ (optionally under a path prefix), Debian's
// Chromium driven by playwright-core, and a test wrapper that saves a screenshot when a test fails.
import { createServer } from 'node:http';
import { readFile, mkdir, stat } from 'node:fs/promises';
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

/** Serves `dir` at http://127.0.0.1:<free port><prefix>; resolves to { url, close }. */
export async function serve(dir = DIST, prefix = '/') {
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
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
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
 * Runs `body(page)` in a fresh page; on failure saves test-results/<name>.png, then rethrows.
 * Console errors and uncaught page errors fail the test: a panic must never pass silently.
 */
export async function withPage(browser, name, body) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
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
