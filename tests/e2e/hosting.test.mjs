// Static hosting: dist/ works under a path prefix with no rebuild, under its Content-Security-
// Policy (no inline script, no eval), and ships a 404 page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, launch, withPage, DIST } from './harness.mjs';

let prefixed;
let browser;
before(async () => {
  prefixed = await serve(DIST, '/teams/qa/sightline/');
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await prefixed?.close();
});

test('dist served under a path prefix loads the sample, decodes in its worker and keeps links', async () => {
  await withPage(browser, 'prefix hosting', async (page) => {
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(prefixed.url);
    assert.match(prefixed.url, /\/teams\/qa\/sightline\/$/);
    await page.getByRole('status').filter({ hasText: 'Loaded 33 spans' }).waitFor();
    await page.locator('[role=row][aria-selected=true]').waitFor();
    await page.waitForFunction(() => /span=[0-9a-f]{16}/.test(location.hash));
    assert.ok(page.url().startsWith(prefixed.url + '#file='), page.url());
    // Every request stayed on this site, under the prefix.
    const origin = new URL(prefixed.url).origin;
    const outside = requests.filter((u) => !u.startsWith(`${origin}/teams/qa/sightline/`) && !u.startsWith('data:'));
    assert.deepEqual(outside, []);
  });
});

test('the page runs under a Content-Security-Policy that refuses inline script and eval', async () => {
  await withPage(browser, 'csp', async (page) => {
    const violations = [];
    page.on('console', (m) => { if (m.type() === 'error') violations.push(m.text()); });
    await page.goto(prefixed.url);
    await page.getByRole('status').filter({ hasText: 'Loaded' }).waitFor();
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /script-src[^;]*'unsafe-(inline|eval)'/);
    const html = await readFile(join(DIST, 'index.html'), 'utf8');
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in index.html');
    const ran = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = true';
      document.body.append(s);
      return window.__inline === true;
    });
    // (eval is refused by the same policy, but code Playwright injects is exempt, so it is
    // checked in the policy text above rather than here.)
    assert.equal(ran, false, 'an injected inline script did not run');
    assert.ok(violations.some((v) => /Content Security Policy/.test(v)), 'the browser reported the refusal');
  }, { allowConsoleErrors: true });
});

test('an unknown path gets the 404 page, which points back to the app', async () => {
  const res = await fetch(`${prefixed.url}404.html`);
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /Sightline keeps what you look at in the part of the address after <code>#<\/code>/);
  assert.doesNotMatch(text, /<script/);
});

test('after a first visit Sightline works offline: the page, the sample and local files', async () => {
  await withPage(browser, 'offline', async (page) => {
    await page.goto(prefixed.url);
    await page.getByRole('status').filter({ hasText: 'Loaded 33 spans' }).waitFor();
    // The service worker has cached this build's files.
    await page.evaluate(async () => { await navigator.serviceWorker.ready; });
    await page.waitForFunction(async () => (await caches.keys()).some((k) => k.startsWith('sightline-')));
    await page.context().setOffline(true);
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Loaded 33 spans' }).waitFor();
    await page.locator('[role=row][aria-selected=true]').waitFor();
    // A downloaded artifact opens with no network at all.
    await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(join(DIST, '..', 'tests/fixtures/edge/timeouts.json'));
    await page.getByRole('status').filter({ hasText: 'Loaded 3 spans' }).waitFor();
    await page.context().setOffline(false);
  });
});

test('a #src= link starts its download before the app has loaded, and fetches it once', async () => {
  await withPage(browser, 'early src fetch', async (page) => {
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    // The sample, as another file on this site, named by a path.
    await page.goto(`${prefixed.url}#src=samples/order-e2e.json`);
    await page.getByRole('status').filter({ hasText: 'Loaded 33 spans' }).waitFor();
    const trace = requests.filter((u) => u.endsWith('/samples/order-e2e.json'));
    assert.equal(trace.length, 1, requests.join('\n'));
    const wasm = requests.findIndex((u) => u.endsWith('.wasm'));
    assert.ok(requests.indexOf(trace[0]) < wasm, `the trace before the app's wasm:\n${requests.join('\n')}`);
  });
});
