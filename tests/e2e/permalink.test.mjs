// Permalinks: the address follows the view, a fresh browser restores it, Back and Forward move
// between selections, a #src= link opens its span, broken links say what is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, withPage, FIXTURES } from './harness.mjs';

let site;
let bucket;
let browser;
before(async () => {
  site = await serve();
  bucket = await serve(FIXTURES, '/', { cors: true });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await Promise.all([site?.close(), bucket?.close()]);
});

const waterfall = (page) => page.getByRole('treegrid', { name: 'Waterfall' });
const rows = (page) => waterfall(page).getByRole('row');
const selected = (page) => waterfall(page).locator('[role=row][aria-selected=true]');
const details = (page) => page.getByRole('region', { name: 'Span details' });
const selectedName = async (page) => (await selected(page).getByRole('gridcell').first().textContent()).trim();

test('the address follows the view and a fresh browser opens the same span, zoom and search', async () => {
  let address;
  await withPage(browser, 'permalink copy', async (page) => {
    await page.goto(site.url);
    await selected(page).waitFor();
    await rows(page).filter({ hasText: 'reserve MUG-BLUE' }).first().click();
    await page.waitForFunction(() => /span=[0-9a-f]{16}/.test(location.hash));
    await selected(page).focus();
    await page.keyboard.press('+');
    await page.getByRole('searchbox', { name: 'Search spans' }).fill('SELECT');
    await page.waitForFunction(() => /zoom=\d+-\d+/.test(location.hash) && /q=SELECT/.test(location.hash));
    address = page.url();
    // The sample is a file too: the link names it by content (file=), then the view.
    assert.match(address, /#file=[0-9a-f]{16}:order-e2e\.json&trace=[0-9a-f]{32}&span=[0-9a-f]{16}&zoom=\d+-\d+&q=SELECT$/);
    // Copy link puts the same address on the clipboard, and says so.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Copy link', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Link copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), address);
  });
  await withPage(browser, 'permalink open', async (page) => {
    await page.goto(address);
    await page.waitForFunction(() => document.querySelector('[role=row][aria-selected=true]')?.textContent.includes('reserve MUG-BLUE'));
    assert.match(await selectedName(page), /^reserve MUG-BLUE/);
    await details(page).getByRole('heading', { name: 'reserve MUG-BLUE' }).waitFor();
    assert.doesNotMatch(await page.getByTestId('zoom-window').textContent(), /^All /);
    assert.equal(await page.getByRole('searchbox', { name: 'Search spans' }).inputValue(), 'SELECT');
    assert.equal(page.url(), address, 'the restored view writes the same address');
    // The selected row is in view.
    const box = await selected(page).boundingBox();
    const grid = await waterfall(page).boundingBox();
    assert.ok(box.y >= grid.y && box.y + box.height <= grid.y + grid.height + 1);
  });
});

test('Back and Forward move between selected spans', async () => {
  await withPage(browser, 'permalink history', async (page) => {
    await page.goto(site.url);
    await selected(page).waitFor();
    await page.waitForFunction(() => /span=/.test(location.hash));
    // Each selection, once the address has caught up with it (it settles for a moment, so
    // arrowing quickly through rows makes one history entry, not one per row), is a step.
    const hashChanges = async (act) => {
      const before = await page.evaluate(() => location.hash);
      await act();
      await page.waitForFunction((b) => location.hash !== b, before);
    };
    await hashChanges(() => rows(page).filter({ hasText: 'pytest: e2e' }).click());
    assert.equal(await selected(page).getAttribute('aria-rowindex'), '1');
    await hashChanges(() => rows(page).filter({ hasText: 'enqueue fulfilment' }).first().click());
    assert.match(await selectedName(page), /^enqueue fulfilment/);
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('[role=row][aria-selected=true]')?.getAttribute('aria-rowindex') === '1');
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('[role=row][aria-selected=true]')?.textContent.includes('reserve TEAPOT-XL'));
    await page.goForward();
    await page.waitForFunction(() => document.querySelector('[role=row][aria-selected=true]')?.getAttribute('aria-rowindex') === '1');
  });
});

test('a #src= link with a span opens that span of the fetched file', async () => {
  await withPage(browser, 'permalink src', async (page) => {
    const src = encodeURIComponent(`${bucket.url}order-e2e.json`);
    // Find a span id from the app itself: the sample's "reserve MUG-BLUE".
    await page.goto(site.url);
    await page.waitForFunction(() => /span=[0-9a-f]{16}/.test(location.hash));
    const before = await page.evaluate(() => location.hash);
    await rows(page).filter({ hasText: 'reserve MUG-BLUE' }).first().click();
    await page.waitForFunction((b) => location.hash !== b, before);
    const view = new URL(page.url()).hash.slice(1);
    await page.goto(`${site.url}#src=${src}&${view}`);
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Loaded 33 spans' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[role=row][aria-selected=true]')?.textContent.includes('reserve MUG-BLUE'));
    // The address keeps the source next to the view, so it can be shared as it is.
    const want = `#src=${bucket.url}order-e2e.json&trace=`;
    await page.waitForFunction((w) => location.hash.startsWith(w), want);
  });
});

test('a link to a span that is not there opens the trace and says what is missing', async () => {
  await withPage(browser, 'permalink broken', async (page) => {
    await page.goto(`${site.url}#span=00000000000000aa&zoom=5-3`);
    await selected(page).waitFor();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /span 00000000000000aa is not in this trace/);
    // The trace still opens on its failure.
    assert.match(await selectedName(page), /^reserve TEAPOT-XL/);
  });
});

test('a link made from a local file asks for that file, refuses another, then restores the view', async () => {
  const { mkdtemp, writeFile, readFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const original = join(FIXTURES, 'edge/timeouts.json');
  const dir = await mkdtemp(join(tmpdir(), 'sightline-fp-'));
  const impostor = join(dir, 'timeouts.json');
  await writeFile(impostor, (await readFile(original, 'utf8')).replace('GET /api/user', 'GET /api/users'));
  let address;
  try {
    await withPage(browser, 'fingerprint make', async (page) => {
      await page.goto(site.url);
      await selected(page).waitFor();
      await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(original);
      await page.getByRole('status').filter({ hasText: 'Loaded 3 spans' }).waitFor();
      await rows(page).filter({ hasText: 'GET /api/cart' }).click();
      // The cart's own span id: the address names the root until the click's selection is
      // written (120 ms after it settles), which on a busy host came after this check began.
      await page.waitForFunction(() => /#file=[0-9a-f]{16}:timeouts\.json&trace=[0-9a-f]{32}&span=eee19b7ec3c1b175/.test(location.hash));
      address = page.url();
    });
    await withPage(browser, 'fingerprint open', async (page) => {
      await page.goto(address);
      const alert = page.getByRole('alert');
      await alert.filter({ hasText: 'Open timeouts.json to see this link' }).waitFor();
      // The address keeps the link while it waits.
      assert.equal(page.url(), address);
      // Another file of the same name is refused.
      await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(impostor);
      await alert.filter({ hasText: 'is not the file this link was made from' }).waitFor();
      assert.doesNotMatch(await selectedName(page), /^GET \/api\/cart/);
      // The original restores the view.
      await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(original);
      await page.waitForFunction(() => document.querySelector('[role=row][aria-selected=true]')?.textContent.includes('GET /api/cart'));
      await details(page).getByRole('heading', { name: 'GET /api/cart' }).waitFor();
      assert.equal(await page.getByRole('alert').count(), 0, 'nothing missing any more');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a link with the trace inside opens with no file served at all', async () => {
  let address;
  await withPage(browser, 'inline make', async (page) => {
    await page.goto(site.url);
    await selected(page).waitFor();
    // Copied at once after the click: the button writes the address before copying it.
    await rows(page).filter({ hasText: 'reserve MUG-BLUE' }).first().click();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Copy link with trace' }).click();
    await page.getByRole('status').filter({ hasText: 'Link with the trace copied' }).waitFor();
    address = await page.evaluate(() => navigator.clipboard.readText());
    const data = new URL(address).hash.match(/data=([A-Za-z0-9_-]+)/);
    assert.ok(data && data[1].length <= 32 * 1024, 'base64url, under 32 KB');
    assert.match(address, /#trace=[0-9a-f]{32}&span=[0-9a-f]{16}&data=/);
  });
  await withPage(browser, 'inline open', async (page) => {
    const fetched = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(address);
    await page.getByRole('status').filter({ hasText: 'Loaded 29 spans · 1 trace' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[role=row][aria-selected=true]')?.textContent.includes('reserve MUG-BLUE'));
    assert.ok(!fetched.some((p) => p.includes('samples/')), `no trace file fetched: ${fetched}`);
    assert.match(await page.locator('.file-names').textContent(), /linked trace/);
  });
});
