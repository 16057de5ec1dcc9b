// The waterfall's end-to-end tests: zoom and pan, keyboard navigation, and a 100k-span trace that
// keeps the DOM small. Against the release build served as static files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, withPage, ROOT } from './harness.mjs';

let site;
let browser;
let dir;
before(async () => {
  site = await serve();
  browser = await launch();
  dir = await mkdtemp(join(tmpdir(), 'sightline-waterfall-'));
});
after(async () => {
  await browser?.close();
  await site?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const waterfall = (page) => page.getByRole('treegrid', { name: 'Waterfall' });
const rows = (page) => waterfall(page).getByRole('row');
const selectedRow = (page) => waterfall(page).locator('[role=row][aria-selected=true]');
const zoomWindow = (page) => page.getByTestId('zoom-window');
/** Waits until the zoom readout matches (or, with `not`, stops matching) `re`. */
const zoomShows = (page, re, not = false) =>
  page.waitForFunction(([src, flags, not]) => {
    const text = document.querySelector('[data-testid=zoom-window]')?.textContent ?? '';
    return new RegExp(src, flags).test(text) !== not;
  }, [re.source, re.flags, not]);
const barWidth = async (row) => (await row.locator('.bar').boundingBox()).width;
/** Opens the sample and moves the selection and focus to its root row. */
const openOnRoot = async (page) => {
  await page.goto(site.url);
  await selectedRow(page).waitFor();
  await rows(page).first().click();
  await rows(page).first().focus();
};

test('dragging across the time axis zooms to that range; Ctrl+wheel zooms, Reset shows it all', async () => {
  await withPage(browser, 'zoom by drag', async (page) => {
    await page.goto(site.url);
    await selectedRow(page).waitFor();
    assert.match(await zoomWindow(page).textContent(), /^All /);
    const reset = page.getByRole('button', { name: 'Reset zoom' });
    assert.equal(await reset.isDisabled(), true);

    // The failing worker span: its bar grows when the view narrows around it.
    const failing = rows(page).filter({ hasText: 'reserve TEAPOT-XL' });
    const before = await barWidth(failing);
    const bar = await failing.locator('.bar').boundingBox();
    const axis = await page.locator('.wf-axis-ticks').boundingBox();
    const y = axis.y + axis.height / 2;
    // Select from a little before the bar to a little after it.
    const from = Math.max(axis.x + 1, bar.x - 10);
    const to = Math.min(axis.x + axis.width - 1, bar.x + bar.width + 10);
    await page.mouse.move(from, y);
    await page.mouse.down();
    await page.mouse.move((from + to) / 2, y, { steps: 4 });
    await page.mouse.move(to, y, { steps: 4 });
    await page.mouse.up();

    await page.waitForFunction(() => !/^All /.test(document.querySelector('[data-testid=zoom-window]').textContent));
    assert.match(await zoomWindow(page).textContent(), /^\S+ – \S+ of \S+$/);
    assert.equal(await reset.isDisabled(), false);
    const zoomed = await barWidth(failing);
    assert.ok(zoomed > before * 3, `the bar widened: ${before} -> ${zoomed}`);
    // The axis counts from inside the trace now, in finer steps.
    const firstTick = await page.locator('.wf-axis-ticks .tick').first().textContent();
    assert.notEqual(firstTick, '0ns');

    // Ctrl+wheel over the bars zooms back out around the pointer.
    await page.mouse.move(axis.x + axis.width / 2, bar.y + bar.height / 2);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, 400);
    await page.keyboard.up('Control');
    await page.waitForFunction((w) => {
      const row = [...document.querySelectorAll('[role=row]')].find((r) => r.textContent.includes('reserve TEAPOT-XL'));
      const bar = row?.querySelector('.bar');
      return bar && bar.getBoundingClientRect().width < w * 0.8;
    }, zoomed);

    // Reset shows the whole trace again, and the bar is back to its size.
    await reset.click();
    assert.match(await zoomWindow(page).textContent(), /^All /);
    assert.ok(Math.abs((await barWidth(failing)) - before) < 1);

    // The keys zoom too: + narrows around the middle, 0 resets.
    await selectedRow(page).focus();
    await page.keyboard.press('+');
    await zoomShows(page, /^All /, true);
    await page.keyboard.press('0');
    await zoomShows(page, /^All /);
  });
});

test('the minimap shows the whole trace, the window in view, and zooms by dragging across it', async () => {
  await withPage(browser, 'minimap', async (page) => {
    await page.goto(site.url);
    await selectedRow(page).waitFor();
    const map = page.locator('.minimap');
    // Something is drawn: the canvas has lit pixels, some in the error colour.
    const lit = await map.locator('canvas').evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    assert.ok(lit > 100, `lit pixels: ${lit}`);
    const box = await map.boundingBox();
    const windowBox = async () => page.locator('.minimap-window').boundingBox();
    assert.ok(Math.abs((await windowBox()).width - box.width) < 2, 'the window covers the whole trace');

    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.2, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.4, y, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => !/^All /.test(document.querySelector('[data-testid=zoom-window]').textContent));
    const w = await windowBox();
    assert.ok(Math.abs(w.width - box.width * 0.2) < 4, `window is the dragged fifth: ${w.width} of ${box.width}`);
    assert.ok(Math.abs(w.x - (box.x + box.width * 0.2)) < 4);

    // Dragging the window moves it, keeping its width.
    await page.mouse.move(w.x + w.width / 2, y);
    await page.mouse.down();
    await page.mouse.move(w.x + w.width / 2 + box.width * 0.3, y, { steps: 5 });
    await page.mouse.up();
    const moved = await windowBox();
    assert.ok(Math.abs(moved.width - w.width) < 2, `${moved.width} vs ${w.width}`);
    assert.ok(Math.abs(moved.x - (w.x + box.width * 0.3)) < 4, `${moved.x} vs ${w.x + box.width * 0.3}`);
  });
});

test('the keyboard moves through rows, folds and unfolds, and jumps to the ends', async () => {
  await withPage(browser, 'keyboard navigation', async (page) => {
    await openOnRoot(page);
    const name = async () => (await selectedRow(page).getByRole('gridcell').first().textContent()).trim();
    assert.match(await name(), /^pytest: e2e/);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-selected')), 'true');

    await page.keyboard.press('ArrowDown');
    assert.equal(await selectedRow(page).getAttribute('aria-rowindex'), '2');
    assert.equal(await selectedRow(page).getAttribute('aria-level'), '2');
    // Left on an expanded row folds it; the row count drops; Right unfolds it.
    const count = Number(await waterfall(page).getAttribute('aria-rowcount'));
    await page.keyboard.press('ArrowLeft');
    assert.equal(await selectedRow(page).getAttribute('aria-expanded'), 'false');
    assert.ok(Number(await waterfall(page).getAttribute('aria-rowcount')) < count);
    await page.keyboard.press('ArrowRight');
    assert.equal(await selectedRow(page).getAttribute('aria-expanded'), 'true');
    assert.equal(Number(await waterfall(page).getAttribute('aria-rowcount')), count);
    // Right on an expanded row goes to its first child; Left folds that child, and Left again
    // (on a folded row) goes to the parent.
    await page.keyboard.press('ArrowRight');
    assert.equal(await selectedRow(page).getAttribute('aria-level'), '3');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await selectedRow(page).getAttribute('aria-expanded'), 'false');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await selectedRow(page).getAttribute('aria-level'), '2');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    assert.equal(await selectedRow(page).getAttribute('aria-expanded'), 'true');
    await page.keyboard.press('ArrowUp');
    // End and Home.
    await page.keyboard.press('End');
    assert.equal(await selectedRow(page).getAttribute('aria-rowindex'), String(count));
    await page.keyboard.press('Home');
    assert.equal(await selectedRow(page).getAttribute('aria-rowindex'), '1');
    // Focus follows the selection, so a screen reader reads the row.
    await page.waitForFunction(() => document.activeElement.getAttribute('aria-rowindex') === '1');
  });
});

test('a whole subtree folds and unfolds at once: Shift+Left / Shift+Right, Alt- or Shift-click on its triangle', async () => {
  await withPage(browser, 'fold all', async (page) => {
    await openOnRoot(page);
    const rowCount = async () => Number(await waterfall(page).getAttribute('aria-rowcount'));
    const all = await rowCount();
    // Shift+Left on the root folds everything: unfolding the root by one level then shows the
    // three tests, each still folded.
    await page.keyboard.press('Shift+ArrowLeft');
    assert.equal(await rowCount(), 1);
    await page.keyboard.press('ArrowRight');
    assert.equal(await rowCount(), 4);
    const levelTwo = waterfall(page).locator('[role=row][aria-level="2"]');
    assert.deepEqual(await levelTwo.evaluateAll((r) => r.map((e) => e.getAttribute('aria-expanded'))), ['false', 'false', 'false']);
    assert.match(await selectedRow(page).textContent(), /^pytest: e2e/, 'the selection stays');
    // Shift+Right unfolds the whole tree again.
    await page.keyboard.press('Shift+ArrowRight');
    assert.equal(await rowCount(), all);

    // Alt-click on the failing test's triangle folds its subtree whole; a plain click unfolds one
    // level (its request, still folded); Shift-click unfolds the rest.
    // The failure, selected inside it, hands the selection to the folded test's row.
    const bulk = rows(page).filter({ hasText: 'test_bulk_order' });
    await rows(page).filter({ hasText: 'reserve TEAPOT-XL' }).click();
    await bulk.locator('.toggle').click({ modifiers: ['Alt'] });
    assert.equal(await bulk.getAttribute('aria-expanded'), 'false');
    assert.equal(await bulk.getAttribute('aria-selected'), 'true');
    const folded = await rowCount();
    assert.ok(folded < all - 5, `${folded} of ${all}`);
    await bulk.locator('.toggle').click();
    assert.equal(await rowCount(), folded + 1);
    const request = rows(page).filter({ hasText: 'POST 127.0.0.1/orders' }).last();
    assert.equal(await request.getAttribute('aria-expanded'), 'false');
    await bulk.locator('.toggle').click({ modifiers: ['Shift'] });
    assert.equal(await bulk.getAttribute('aria-expanded'), 'false', 'Shift-click on an unfolded row folds it whole');
    await bulk.locator('.toggle').click({ modifiers: ['Shift'] });
    assert.equal(await rowCount(), all);
    assert.equal(await request.getAttribute('aria-expanded'), 'true');
  });
});

test('a 100,000-span trace keeps under 1,000 rows in the DOM, scrolls to its end and zooms', async () => {
  const file = join(dir, 'trace-100000-lean.json');
  execFileSync('cargo', ['run', '--quiet', '--release', '-p', 'sightline-core', '--example', 'generate', '--', '100000', 'lean', file], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await withPage(browser, '100k spans', async (page) => {
    await page.goto(site.url);
    await selectedRow(page).waitFor();
    await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(file);
    await page.getByRole('status').filter({ hasText: 'Loaded 100000 spans' }).waitFor({ timeout: 120_000 });
    const grid = waterfall(page);
    await page.waitForFunction(() => document.querySelector('[role=treegrid]').getAttribute('aria-rowcount') === '100000');
    const domRows = async () => grid.getByRole('row').count();
    assert.ok((await domRows()) < 1000, `DOM rows: ${await domRows()}`);
    // Rows are recycled and moved by hand: after small scrolls down and up and a jump, the rows
    // in the DOM are still in row order with no gap (assistive technology reads DOM order).
    const rowIndexes = () => grid.evaluate((g) => [...g.querySelectorAll('[role=row]')].map((r) => Number(r.getAttribute('aria-rowindex'))));
    const inOrder = async (where) => {
      const seen = await rowIndexes();
      assert.ok(seen.every((n, i) => i === 0 || n === seen[i - 1] + 1), `${where}: ${seen.join(',')}`);
      return seen[0];
    };
    for (const [where, top] of [['down 3 rows', 11 * 26], ['down 5 more', 16 * 26], ['up 2', 14 * 26], ['jump', 26_000 * 26], ['up 1', 25_999 * 26]]) {
      await grid.evaluate((g, top) => { g.scrollTop = top; }, top);
      const first = Math.max(1, Math.floor(top / 26) - 7);
      // Wait for the window to follow the scroll (the first row may already be in the old one).
      await page.waitForFunction((first) => Math.min(...[...document.querySelectorAll('[role=treegrid] [role=row]')]
        .map((r) => Number(r.getAttribute('aria-rowindex')))) === first, first);
      assert.equal(await inOrder(where), first, where);
    }
    // A jump far away (a scrollbar drag) shows every row in view at once; the rows above and
    // below the view follow once it rests, so a wheel step after it shows no gap either.
    const top = 61_234 * 26 + 13;
    const { height, shown } = await grid.evaluate((g, top) => new Promise((ok) => {
      g.scrollTop = top;
      requestAnimationFrame(() => requestAnimationFrame(() => ok({
        height: g.clientHeight,
        shown: [...g.querySelectorAll('[role=row]')].map((r) => Number(r.getAttribute('aria-rowindex'))),
      })));
    }), top);
    const inView = [];
    for (let n = Math.floor(top / 26) + 1; n <= Math.ceil((top + height - 28) / 26); n++) inView.push(n);
    assert.deepEqual(inView.filter((n) => !shown.includes(n)), [], `rows in view after the jump: ${shown.join(',')}`);
    await page.waitForFunction((first) => Math.min(...[...document.querySelectorAll('[role=treegrid] [role=row]')]
      .map((r) => Number(r.getAttribute('aria-rowindex')))) === first, Math.floor(top / 26) - 7);
    await inOrder('after the jump rested');
    // Scroll to the very end: the last row is rendered, and the DOM is still small.
    await grid.evaluate((g) => { g.scrollTop = g.scrollHeight; });
    await page.waitForFunction(() => document.querySelector('[role=row][aria-rowindex="100000"]'));
    assert.ok((await domRows()) < 1000);
    // Keyboard on the big trace: End selects the last row.
    await grid.getByRole('row').last().click();
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('[role=row][aria-selected=true]')?.getAttribute('aria-rowindex') === '1');
    // Zooming redraws only the rows in view.
    await page.keyboard.press('+');
    await zoomShows(page, /^All /, true);
    assert.ok((await domRows()) < 1000);
  });
});

test('a span that lasted exactly its reported timeout carries a timeout badge; the trace list shows start times', async () => {
  await withPage(browser, 'timeout badge', async (page) => {
    await page.goto(site.url);
    await selectedRow(page).waitFor();
    const start = page.getByRole('listbox', { name: 'Traces' }).getByRole('option').first().locator('.trace-start');
    assert.match(await start.getAttribute('title'), /^Started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$/);
    await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(join(ROOT, 'tests/fixtures/edge/timeouts.json'));
    await page.getByRole('status').filter({ hasText: 'Loaded 3 spans' }).waitFor();
    const badge = (name) => rows(page).filter({ hasText: name }).locator('.timeout-mark');
    assert.equal(await badge('test_checkout_page').textContent(), 'timeout');
    assert.match(await badge('test_checkout_page').getAttribute('title'), /the 30s timeout it reports \(.*Timeout 30000ms exceeded/);
    assert.match(await badge('GET /api/cart').getAttribute('title'), /the 250ms timeout it reports \(http\.client\.timeout_ms\)/);
    assert.equal(await badge('GET /api/user').count(), 0, 'two seconds of a ten-second timeout is no timeout');
  });
});

test('a test trace and the worker trace it enqueued open together, on the worker failure', async () => {
  await withPage(browser, 'linked traces', async (page) => {
    await page.goto(site.url);
    await selectedRow(page).waitFor();
    await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(join(ROOT, 'tests/fixtures/linked-traces.json'));
    await page.getByRole('status').filter({ hasText: 'Loaded 9 spans' }).waitFor();
    const list = page.getByRole('listbox', { name: 'Traces' });
    const options = list.getByRole('option');
    assert.equal(await options.count(), 3, 'the two traces and their joint view');
    const together = options.first();
    assert.match(await together.textContent(), /test_order_is_fulfilled \+ orders process/);
    assert.match(await together.textContent(), /2 linked traces together/);
    assert.equal(await together.getAttribute('aria-selected'), 'true', 'the session opens on them together');

    // One waterfall from the test through the API to the worker, opened on the worker's failure.
    assert.equal(await waterfall(page).getAttribute('aria-rowcount'), '9');
    const consumer = rows(page).filter({ hasText: 'orders process' });
    assert.equal(await consumer.getAttribute('aria-level'), '5', 'hung under the publish span');
    assert.match(await consumer.locator('.linked-mark').getAttribute('title'), /^Trace [0-9a-f]{32}, joined to the span above by a span link/);
    assert.match(await selectedRow(page).textContent(), /^reserve stock/);
    // The failures list explains the test's assertion by the worker's exception.
    const failure = page.getByRole('region', { name: 'Failures' }).getByRole('list').getByRole('button', { name: /^(?!Copy for an assistant$)/ });
    assert.equal(await failure.count(), 1);
    assert.match(await failure.textContent(), /test_order_is_fulfilled.*AssertionError: order ord-1 is 'failed'.*caused by __main__\.InsufficientStock: TEAPOT-XL: wanted 5, 3 in stock.*order-worker · reserve stock/);
    assert.equal(await failure.getAttribute('aria-current'), 'true');
    const publish = rows(page).filter({ hasText: 'orders publish' });
    await publish.locator('.toggle').click();
    assert.equal(await waterfall(page).getAttribute('aria-rowcount'), '6');
    assert.match(await publish.textContent(), /contains errors/, 'the folded publish span holds the failure');
    await publish.locator('.toggle').click();

    // The consumer's link leads to the publish span in the same view.
    await consumer.click();
    const panel = page.getByRole('region', { name: 'Span details' });
    await panel.getByRole('button', { name: 'Go to linked span' }).click();
    await panel.getByRole('heading', { name: 'orders publish' }).waitFor();
    assert.equal(await together.getAttribute('aria-selected'), 'true', 'still the joint view');
    await page.waitForFunction(() => location.hash.includes('linked=1'));

    // Each trace alone is still one option away, and the keyboard walks the list in its order.
    await options.nth(1).click();
    await page.waitForFunction(() => document.querySelector('[role=treegrid]').getAttribute('aria-rowcount') === '6');
    assert.equal(await rows(page).filter({ hasText: 'orders process' }).count(), 0);
    await list.press('ArrowDown');
    assert.equal(await options.nth(2).getAttribute('aria-selected'), 'true');
    assert.equal(await waterfall(page).getAttribute('aria-rowcount'), '3');
    await page.waitForFunction(() => !location.hash.includes('linked=1'));
  });
});

test('a narrow window (a CI log beside it) keeps the axis readable and every duration on screen', async () => {
  await withPage(browser, 'narrow window', async (page) => {
    await page.setViewportSize({ width: 1000, height: 700 });
    await page.goto(site.url);
    await selectedRow(page).waitFor();
    const tickBoxes = async () => {
      const boxes = [];
      for (const t of await page.locator('.wf-axis-ticks .tick').all()) {
        // A tick's label, not its line: the text's own box.
        boxes.push(await t.evaluate((el) => {
          const r = document.createRange();
          r.selectNodeContents(el);
          const b = r.getBoundingClientRect();
          return { left: b.left, right: b.right };
        }));
      }
      return boxes;
    };
    const axis = await page.locator('.wf-axis-ticks').boundingBox();
    assert.ok(axis.width >= 150, `the timeline column keeps room for bars: ${axis.width} px`);
    const narrow = await tickBoxes();
    assert.ok(narrow.length >= 2, `${narrow.length} ticks`);
    for (let i = 1; i < narrow.length; i++) {
      assert.ok(narrow[i - 1].right <= narrow[i].left, `tick labels ${i - 1} and ${i} overlap: ${JSON.stringify(narrow)}`);
    }
    // Every duration label of a row in view lies inside its timeline cell.
    const grid = await waterfall(page).boundingBox();
    for (const row of await rows(page).all()) {
      const box = await row.boundingBox();
      if (!box || box.y < grid.y || box.y + box.height > grid.y + grid.height) continue;
      const cell = await row.locator('.wf-timeline').boundingBox();
      const dur = await row.locator('.dur').evaluate((el) => {
        const r = document.createRange();
        r.selectNodeContents(el);
        const b = r.getBoundingClientRect();
        return { left: b.left, right: b.right, text: el.textContent };
      });
      if (!dur.text) continue;
      assert.ok(dur.left >= cell.x - 0.5 && dur.right <= cell.x + cell.width + 0.5,
        `"${dur.text}" at ${dur.left.toFixed(0)}-${dur.right.toFixed(0)} px, its cell ${cell.x.toFixed(0)}-${(cell.x + cell.width).toFixed(0)}`);
    }
    // The header's buttons stay on screen (it wraps rather than pushing them off).
    const open = await page.getByText('Open trace files').boundingBox();
    assert.ok(open.x + open.width <= 1000, `Open trace files ends at ${open.x + open.width} px`);
    // Widening the window gives the axis more ticks.
    await page.setViewportSize({ width: 1600, height: 900 });
    await page.waitForFunction((n) => document.querySelectorAll('.wf-axis-ticks .tick').length > n, narrow.length);
  });
});

test('a session of a thousand traces (a test suite with a trace per test) keeps the trace list small, the keyboard on it, and filters it', async () => {
  await withPage(browser, 'many traces', async (page) => {
    await page.goto(site.url);
    await selectedRow(page).waitFor();
    // The sample's five traces, two hundred times under new trace ids.
    const { readFile } = await import('node:fs/promises');
    const sample = JSON.parse(await readFile(join(ROOT, 'tests/fixtures/order-e2e.json'), 'utf8'));
    const copies = Array.from({ length: 200 }, (_, k) => {
      const doc = structuredClone(sample);
      for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) {
        s.traceId = s.traceId.slice(0, 26) + k.toString(16).padStart(6, '0');
      }
      return JSON.stringify(doc);
    });
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'suite.jsonl', { type: 'application/json' }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, copies.join('\n') + '\n');
    await page.getByRole('status').filter({ hasText: /^Loaded 6600 spans · 1000 traces/ }).waitFor();

    const list = page.getByRole('listbox', { name: 'Traces' });
    const options = list.getByRole('option');
    const rendered = await options.count();
    assert.ok(rendered > 5 && rendered < 60, `only the options in view are in the DOM: ${rendered}`);
    assert.equal(await options.first().getAttribute('aria-setsize'), '1000');
    assert.equal(await options.first().getAttribute('aria-posinset'), '1');
    assert.equal(await options.first().getAttribute('data-status'), 'error', 'failing traces first');
    // The failures list: the bulk order test of each copy, the first twenty shown until asked.
    const failures = page.getByRole('region', { name: 'Failures' });
    await failures.getByRole('heading', { name: '200 failing tests' }).waitFor();
    const failed = failures.getByRole('list').getByRole('button', { name: /^(?!Copy for an assistant$)/ });
    assert.equal(await failed.count(), 20);
    await failures.getByRole('button', { name: 'Show 180 more' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.failures li').length === 200);
    assert.equal(await failures.getByRole('button', { name: /^Show/ }).count(), 0);
    /** The selected option: named by aria-activedescendant, rendered, in view, and the only one. */
    const selected = async () => {
      const id = await list.getAttribute('aria-activedescendant');
      const option = list.locator(`[id="${id}"]`);
      assert.equal(await option.getAttribute('aria-selected'), 'true', `${id} is rendered and selected`);
      assert.equal(await list.getByRole('option', { selected: true }).count(), 1);
      return option;
    };
    const inView = async (option) => {
      const box = await option.boundingBox();
      const nav = await page.locator('nav.trace-list').boundingBox();
      return box.y >= nav.y - 1 && box.y + box.height <= nav.y + nav.height + 1;
    };
    assert.equal(await (await selected()).getAttribute('aria-posinset'), '1');

    await list.press('End');
    // The last option gets selected, rendered and scrolled into view.
    await page.waitForFunction(() => {
      const o = document.querySelector('[role=option][aria-selected=true]');
      if (o?.getAttribute('aria-posinset') !== '1000') return false;
      const box = o.getBoundingClientRect();
      const nav = document.querySelector('nav.trace-list').getBoundingClientRect();
      return box.bottom <= nav.bottom + 1 && box.top >= nav.top - 1;
    }, null, { timeout: 10_000 });
    let option = await selected();
    assert.ok(await inView(option), 'End scrolls the last trace into view');
    assert.ok(await options.count() < 60);
    // The waterfall shows the trace picked.
    const title = (await option.locator('.trace-title').textContent()).trim();
    assert.match(await rows(page).first().textContent(), new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    await list.press('PageUp');
    option = await selected();
    const pos = Number(await option.getAttribute('aria-posinset'));
    assert.ok(pos < 995 && pos > 980, `PageUp moves a page of options: ${pos}`);
    await list.press('ArrowUp');
    assert.equal(await (await selected()).getAttribute('aria-posinset'), String(pos - 1));

    // Scrolled far from it, the selected option stays in the DOM for aria-activedescendant.
    await page.locator('nav.trace-list').evaluate((nav) => { nav.scrollTop = 0; });
    await list.locator('[aria-posinset="1"]').waitFor({ timeout: 10_000 });
    option = await selected();
    assert.equal(await option.getAttribute('aria-posinset'), String(pos - 1));
    assert.ok(await options.count() < 60);
    // A click on an option in view picks it.
    await list.locator('[aria-posinset="3"]').click();
    assert.equal(await (await selected()).getAttribute('aria-posinset'), '3');
    await list.press('Home');
    assert.equal(await (await selected()).getAttribute('aria-posinset'), '1');

    // The filter keeps the traces whose root names, services or trace ids hold every term.
    const filter = page.getByRole('searchbox', { name: 'Filter traces' });
    const shown = page.getByRole('status').filter({ hasText: /of 1000 shown/ });
    assert.equal(await shown.count(), 0, 'no count without a filter');
    await filter.fill('pytest');
    await shown.filter({ hasText: '200 of 1000 shown' }).waitFor();
    assert.equal(await options.first().getAttribute('aria-setsize'), '200');
    for (const text of await options.locator('.trace-title').allTextContents()) assert.match(text, /pytest/);
    const failing = JSON.parse(await readFile(join(ROOT, 'tests/fixtures/order-e2e.json'), 'utf8'))
      .resourceSpans[0].scopeSpans[0].spans[0].traceId;
    const id = failing.slice(0, 26) + (7).toString(16).padStart(6, '0');
    await filter.fill(id.toUpperCase());
    await shown.filter({ hasText: '1 of 1000 shown' }).waitFor();
    assert.equal(await options.count(), 1);
    // Enter opens the one trace kept.
    const kept = (await options.first().locator('.trace-title').textContent()).trim();
    await filter.press('Enter');
    assert.equal(await (await selected()).getAttribute('aria-setsize'), '1');
    assert.equal((await (await selected()).locator('.trace-title').textContent()).trim(), kept);
    assert.ok((await rows(page).first().textContent()).startsWith(kept), 'the waterfall shows it');
    assert.equal(await selectedRow(page).getAttribute('aria-selected'), 'true');
    // Nothing kept: no option, and the listbox names no active option.
    await filter.fill('pytest no-such-test');
    await shown.filter({ hasText: '0 of 1000 shown' }).waitFor();
    assert.equal(await options.count(), 0);
    assert.equal(await list.getAttribute('aria-activedescendant'), null);
    // ArrowDown goes on into the list, on its first option.
    await filter.fill('CREATE');
    await shown.filter({ hasText: '400 of 1000 shown' }).waitFor();
    await filter.press('ArrowDown');
    assert.equal(await list.evaluate((el) => el === document.activeElement), true, 'the list has focus');
    assert.match(await (await selected()).textContent(), /^CREATE TABLE/);
    // Escape clears it: the whole list is back, the trace picked still selected.
    await filter.press('Escape');
    await page.waitForFunction(() => document.querySelector('[role=option]')?.getAttribute('aria-setsize') === '1000');
    assert.equal(await shown.count(), 0);
    assert.equal((await list.getAttribute('aria-activedescendant')) !== null, true);
    await selected();
  });
});
