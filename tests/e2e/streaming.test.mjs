// Decoding while the bytes arrive: a #src= download still going shows the spans decoded so far
// and a preview of the traces read, Cancel stops the fetch, and a download that breaks off
// keeps the spans in what came.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { serve, launch, withPage, FIXTURES } from './harness.mjs';

let site;
let browser;
let lines; // the sample as JSON Lines, each copy with trace ids of its own
let spansPerCopy;
let sampleText;
let sampleIds;
const COPIES = 60;

/** The sample's `i`th copy as one JSON Lines line, its trace ids made its own. */
function copy(i) {
  let line = sampleText;
  for (const id of sampleIds) line = line.replaceAll(id, `${id.slice(0, -9)}${i.toString(16).padStart(8, '0')}"`);
  return line + '\n';
}
before(async () => {
  const sample = JSON.parse(await readFile(join(FIXTURES, 'order-e2e.json'), 'utf8'));
  spansPerCopy = sample.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length;
  sampleText = JSON.stringify(sample);
  sampleIds = [...new Set(sampleText.match(/"traceId":"[0-9a-f]{32}"/g))];
  lines = Buffer.from(Array.from({ length: COPIES }, (_, i) => copy(i)).join(''));
  site = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await site?.close();
});

/**
 * A CORS server that sends the first `share` of `body` at once, then holds the rest until
 * `release()` (or sends more of it at `sendUpTo(share)`), or drops the connection at
 * `breakOff()`. `aborted` resolves if the client goes away before the end.
 */
async function partway(body, share, name = 'nightly.jsonl') {
  let release;
  const held = new Promise((ok) => { release = ok; });
  let gone;
  const aborted = new Promise((ok) => { gone = ok; });
  let asked;
  const requested = new Promise((ok) => { asked = ok; });
  let response;
  const cut = Math.floor(body.length * share);
  let sent = 0;
  const server = createServer(async (req, res) => {
    response = res;
    asked();
    res.on('close', () => { if (!res.writableFinished) gone(); });
    res.writeHead(200, {
      'content-type': 'application/x-ndjson',
      'content-length': body.length,
      'access-control-allow-origin': '*',
    });
    res.write(body.subarray(0, cut));
    sent = cut;
    await held;
    if (!res.destroyed) res.end(body.subarray(sent));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/${name}`,
    requested,
    aborted,
    release,
    sendUpTo: (more) => {
      const to = Math.floor(body.length * more);
      response.write(body.subarray(sent, to));
      sent = to;
    },
    breakOff: () => response.socket.destroy(),
    close: async () => {
      release();
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/** The spans the page says it has decoded so far, once they are at least `least`. */
async function decodedSoFar(page, least) {
  const status = page.getByRole('status').filter({ hasText: /\d+ spans so far/ });
  await page.waitForFunction((least) => {
    const m = [...document.querySelectorAll('[role=status]')]
      .map((e) => e.textContent.match(/(\d+) spans so far/))
      .find(Boolean);
    return m && Number(m[1]) >= least;
  }, least);
  return Number((await status.textContent()).match(/(\d+) spans so far/)[1]);
}

/** Opens the page on a `#src=` of the JSON Lines, half of it sent and the rest held ([partway]). */
async function halfSent(name, body, options) {
  const server = await partway(lines, 0.5);
  try {
    await withPage(browser, name, async (page) => {
      await page.goto(`${site.url}#src=${encodeURIComponent(server.url)}`);
      await server.requested;
      await body(page, server);
    }, options);
  } finally {
    await server.close();
  }
}

/** The spans the page says it loaded, once a status matching `said` shows. */
async function loadedSpans(page, said = /^Loaded \d+ spans/) {
  const status = page.getByRole('status').filter({ hasText: said });
  await status.waitFor();
  return Number((await status.textContent()).match(/Loaded (\d+) spans/)[1]);
}

/** The preview's note, once it says the traces read so far; gives their count. */
async function previewed(page) {
  const note = page.getByRole('status').filter({ hasText: 'Preview while loading' });
  await note.waitFor();
  return Number((await note.textContent()).match(/([\d,]+) traces read so far/)[1].replaceAll(',', ''));
}

test('a #src= still downloading shows a preview: its traces, failures and waterfalls, then the whole', async () => {
  await halfSent('preview while downloading', async (page, server) => {
    // Half the file has come and the rest is held: the spans read are counted, then shown.
    const shown = await decodedSoFar(page, spansPerCopy * 20);
    assert.ok(shown < spansPerCopy * COPIES, `${shown} spans: not the whole file`);
    const traces = await previewed(page);
    const perCopy = sampleIds.length;
    assert.ok(traces >= perCopy * 20 && traces < perCopy * COPIES, `${traces} traces so far`);
    // The failures fill in, and the preview opened on the first failing test's cause.
    const failures = page.getByRole('region', { name: 'Failures' });
    await failures.getByRole('heading', { name: /failing test/ }).waitFor();
    const selected = page.getByRole('treegrid').locator('[role=row][aria-selected=true]');
    assert.match(await selected.getByRole('gridcell').first().textContent(), /^reserve TEAPOT-XL/);
    // Another trace of the list opens in the waterfall while the download goes on, and a span
    // of it is chosen.
    const list = page.getByRole('listbox', { name: 'Traces' });
    await list.getByRole('option').nth(1).click();
    await list.getByRole('option').nth(1).and(page.locator('[aria-selected=true]')).waitFor();
    const pick = page.getByRole('treegrid').getByRole('row').filter({ hasText: /^test_orders\.py::test_create_order/ });
    await pick.click();
    await selected.filter({ hasText: /^test_orders\.py::test_create_order/ }).waitFor();
    // The details' trace id (its only definition of 32 hex digits).
    const traceId = async () => (await page.getByRole('definition').filter({ hasText: /^[0-9a-f]{32}\b/ }).textContent()).slice(0, 32);
    const chosen = await traceId();
    assert.equal(await page.getByRole('progressbar', { name: 'Loading progress' }).count(), 1);
    // More comes: the next preview shows more traces, and the span the user chose stays open.
    server.sendUpTo(0.75);
    await page.getByRole('status').filter({ hasText: 'Preview while loading' })
      .filter({ hasNotText: new RegExp(`\\b${traces.toLocaleString('en-US')} traces read`) })
      .waitFor({ timeout: 15_000 });
    assert.ok(await previewed(page) > traces);
    await selected.filter({ hasText: /^test_orders\.py::test_create_order/ }).waitFor({ timeout: 2000 });
    assert.equal(await traceId(), chosen);
    // The rest comes: everything is shown, and the span the user chose stays open.
    server.release();
    const loaded = await loadedSpans(page);
    assert.equal(loaded, spansPerCopy * COPIES);
    assert.equal(await page.getByRole('status').filter({ hasText: 'Preview while loading' }).count(), 0);
    await selected.filter({ hasText: /^test_orders\.py::test_create_order/ }).waitFor({ timeout: 2000 });
    assert.equal(await traceId(), chosen);
  });
});

/**
 * Each line of stdin as an entry `run-N/traces.json` of a deflated zip written to stdout, by
 * Python's zipfile: on a pipe it cannot seek back, so each entry's sizes follow its data in a
 * data descriptor, as in the artifacts GitHub Actions serves.
 */
const ZIP_LINES = `import sys, zipfile
with zipfile.ZipFile(sys.stdout.buffer, "w", zipfile.ZIP_DEFLATED) as z:
    for i, line in enumerate(sys.stdin.buffer.read().splitlines()):
        z.writestr(f"run-{i}/traces.json", line)`;

test('a zip artifact still downloading shows the runs read so far, then the whole', async () => {
  const zip = execFileSync('python3', ['-c', ZIP_LINES], { input: lines, maxBuffer: 1 << 26 });
  const server = await partway(zip, 0.5, 'artifact.zip');
  try {
    await withPage(browser, 'zip while downloading', async (page) => {
      await page.goto(`${site.url}#src=${encodeURIComponent(server.url)}`);
      await server.requested;
      // Half the archive has come: its entries are read and shown before the rest arrives.
      const shown = await decodedSoFar(page, spansPerCopy * 15);
      assert.ok(shown < spansPerCopy * COPIES, `${shown} spans: not the whole archive`);
      const traces = await previewed(page);
      const perCopy = sampleIds.length;
      assert.ok(traces >= perCopy * 15 && traces < perCopy * COPIES, `${traces} traces so far`);
      await page.getByRole('region', { name: 'Failures' }).getByRole('heading', { name: /failing test/ }).waitFor();
      // The rest comes: the directory agrees with the entries read, and every run is shown.
      server.release();
      const loaded = await loadedSpans(page);
      assert.equal(loaded, spansPerCopy * COPIES);
      assert.equal(await page.getByRole('status').filter({ hasText: 'Preview while loading' }).count(), 0);
      assert.equal(await page.getByRole('alert').count(), 0, 'nothing was refused or skipped');
    });
  } finally {
    await server.close();
  }
});

test('Cancel stops the fetch and keeps the preview shown, said to be one', async () => {
  await halfSent('streamed fetch', async (page, server) => {
    const traces = await previewed(page);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('alert').filter({ hasText: `Cancelled loading ${server.url}.` }).waitFor();
    // The browser closed the connection: the download itself stopped.
    await Promise.race([
      server.aborted,
      new Promise((_, no) => setTimeout(() => no(new Error('the fetch was not aborted')), 5000)),
    ]);
    assert.equal(await page.getByRole('progressbar', { name: 'Loading progress' }).count(), 0);
    const note = page.getByRole('status').filter({ hasText: 'Loading stopped before the end' });
    await note.waitFor({ timeout: 1000 });
    assert.match(await note.textContent(), new RegExp(`a preview of ${traces.toLocaleString('en-US')} traces read so far`));
    assert.ok(await page.getByRole('listbox', { name: 'Traces' }).getByRole('option').count() > 0);
  });
});

test('a download that breaks off part way keeps the spans in what came, and says so', async () => {
  await halfSent('broken download', async (page, server) => {
    await decodedSoFar(page, spansPerCopy * 20);
    server.breakOff();
    const loaded = await loadedSpans(page, /Loaded \d+ spans/);
    assert.ok(loaded >= spansPerCopy * 20 && loaded < spansPerCopy * COPIES, `${loaded} spans kept`);
    await page.getByRole('alert').filter({ hasText: `The download of ${server.url} broke off after` }).waitFor();
    // The decoder says where the file stopped, among what was skipped.
    await page.getByText('Show what was skipped or repaired').click();
    await page.getByText(/the file stopped arriving here \(the download broke off\)/).waitFor();
    // (The browser logs the broken transfer, ERR_CONTENT_LENGTH_MISMATCH, as an error.)
  }, { allowConsoleErrors: true });
});

test('a JSON Lines file larger than 1.2 GB opens from the file picker', { timeout: 600_000 }, async () => {
  // Generated here, into a temporary folder: the sample with trace ids of its own on each line.
  const dir = await mkdtemp(join(tmpdir(), 'sightline-large-'));
  const path = join(dir, 'nightly.jsonl');
  try {
    const file = createWriteStream(path);
    let size = 0;
    let count = 0;
    while (size < 1.25e9) {
      const line = copy(count++);
      size += Buffer.byteLength(line);
      if (!file.write(line)) await once(file, 'drain');
    }
    file.end();
    await once(file, 'finish');
    await withPage(browser, 'large file', async (page) => {
      await page.goto(site.url);
      await page.getByRole('status').filter({ hasText: 'Loaded' }).waitFor();
      await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(path);
      // It is read in slices, decoded as they come: the spans so far show while it is read,
      // then a preview of the traces read so far.
      await decodedSoFar(page, spansPerCopy);
      const soFar = await previewed(page);
      assert.ok(soFar > 0 && soFar < count * sampleIds.length, `${soFar} traces in the preview`);
      await page
        .getByRole('status')
        .filter({ hasText: `Loaded ${spansPerCopy * count} spans · ${count * sampleIds.length} traces` })
        .waitFor({ timeout: 300_000 });
      await page.getByRole('treegrid').waitFor();
      assert.equal(await page.getByRole('alert').count(), 0, 'nothing was refused or skipped');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
