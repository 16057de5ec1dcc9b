// Opening real CI artifacts in the browser: zip, gzip, JSON Lines, #src= URLs, paste, bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { serve, launch, withPage, otlpCounts, makeArtifacts, FIXTURES } from './harness.mjs';

let site;
let bucket; // another origin that allows CORS, like an artifact bucket set up for Sightline
let closed; // another origin that does not
let browser;
let files;
let sample;
before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sightline-artifacts-'));
  files = await makeArtifacts(dir);
  sample = await otlpCounts(join(FIXTURES, 'order-e2e.json'));
  site = await serve();
  bucket = await serve(dir, '/', { cors: true });
  closed = await serve(dir, '/');
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await Promise.all([site?.close(), bucket?.close(), closed?.close()]);
});

const loaded = (page, text) => page.getByRole('status').filter({ hasText: text });
const open = (page, paths) => page.getByRole('button', { name: 'Open trace files' }).setInputFiles(paths);

test('a zip CI artifact with folders loads every trace in it and notes the rest', async () => {
  await withPage(browser, 'zip artifact', async (page) => {
    await page.goto(site.url);
    await loaded(page, 'traces').waitFor();
    await open(page, files.zip);
    // The sample plus the 16-span Zipkin trace from the nested gzip.
    await loaded(page, `${sample.spans + 16} spans · ${sample.traces + 1} traces`).waitFor();
    const alert = page.getByRole('alert');
    await alert.getByText('Show what was skipped or repaired').click();
    assert.match(await alert.textContent(), /e2e-artifacts\.zip\/logs\/pytest\.log/);
  });
});

test('a zip artifact whose download stopped before its directory still loads every entry', async () => {
  // The end of a zip holds its directory: an interrupted download loses it first.
  const whole = await readFile(files.zip);
  const firstCentral = whole.indexOf(Buffer.from('PK\x01\x02', 'latin1'));
  assert.ok(firstCentral > 0, 'the directory is found');
  const dir = await mkdtemp(join(tmpdir(), 'sightline-cut-zip-'));
  const path = join(dir, 'e2e-artifacts.zip');
  await writeFile(path, whole.subarray(0, firstCentral + 20));
  await withPage(browser, 'cut zip', async (page) => {
    await page.goto(site.url);
    await loaded(page, 'traces').waitFor();
    await open(page, path);
    await loaded(page, `${sample.spans + 16} spans · ${sample.traces + 1} traces`).waitFor();
    const alert = page.getByRole('alert');
    await alert.getByText('Show what was skipped or repaired').click();
    assert.match(await alert.textContent(), /the zip archive's directory is unreadable .*3 entries were read from their own headers/);
  });
});

test('a tar.gz artifact made by GNU tar loads every trace in it, long paths included', async () => {
  const expected = (await otlpCounts(join(FIXTURES, 'edge/missing_parent.json'))).spans
    + (await otlpCounts(join(FIXTURES, 'edge/critical_path.json'))).spans;
  await withPage(browser, 'tar artifact', async (page) => {
    await page.goto(site.url);
    await loaded(page, 'traces').waitFor();
    await open(page, join(FIXTURES, 'edge/artifacts-pax.tar.gz'));
    await loaded(page, `Loaded ${expected} spans`).waitFor();
    const alert = page.getByRole('alert');
    await alert.getByText('Show what was skipped or repaired').click();
    assert.match(await alert.textContent(), /artifacts-pax\.tar\.gz\/artifacts\/traces\/(a-rather-long-folder-name-for-the-e2e-job-){3}\/pytest\.log/);
  });
});

test('gzip and JSON Lines files load with the right counts', async () => {
  await withPage(browser, 'gzip and jsonl', async (page) => {
    await page.goto(site.url);
    await loaded(page, 'traces').waitFor();
    await open(page, files.gz);
    await loaded(page, `Loaded ${sample.spans} spans · ${sample.traces} traces`).waitFor();
    await open(page, files.jsonl);
    await loaded(page, `Loaded ${sample.spans} spans · ${sample.traces} traces`).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'children before parents is no problem');
    assert.match(await page.locator('.file-names').textContent(), /order-e2e\.jsonl/);
  });
});

test('#src= fetches from another origin that allows it, with several sources merged', async () => {
  await withPage(browser, 'src url', async (page) => {
    const gz = encodeURIComponent(`${bucket.url}order-e2e.json.gz`);
    const zip = encodeURIComponent(`${bucket.url}e2e-artifacts.zip`);
    await page.goto(`${site.url}#src=${gz}&src=${zip}`);
    // The same sample twice: every span is kept once and counted.
    await loaded(page, `Loaded ${sample.spans + 16} spans`).waitFor();
    assert.match(await loaded(page, 'spans').textContent(), new RegExp(`${sample.spans} duplicates dropped`));
  });
});

test('a #src= that fails says exactly why, and the rest still loads', async () => {
  await withPage(browser, 'src failures', async (page) => {
    const ok = encodeURIComponent(`${bucket.url}order-e2e.jsonl`);
    const missing = encodeURIComponent(`${bucket.url}no-such-file.json`);
    const noCors = encodeURIComponent(`${closed.url}order-e2e.json.gz`);
    page.on('console', () => {}); // the browser itself logs the blocked request
    await page.goto(`${site.url}#src=${ok}&src=${missing}&src=${noCors}`);
    await loaded(page, `Loaded ${sample.spans} spans`).waitFor();
    const alert = page.getByRole('alert');
    const text = await alert.textContent();
    assert.match(text, /no-such-file\.json: the server answered HTTP 404/);
    assert.match(text, /CORS \(Access-Control-Allow-Origin\)/);
  }, { allowConsoleErrors: true });
});

test('a corrupt file is announced and the other files still load', async () => {
  await withPage(browser, 'corrupt file', async (page) => {
    await page.goto(site.url);
    await loaded(page, 'traces').waitFor();
    await open(page, [join(FIXTURES, 'edge/bad_span.json'), files.gz, join(FIXTURES, 'edge/README.md')]);
    await loaded(page, `Loaded ${sample.spans + 2} spans`).waitFor();
    const alert = page.getByRole('alert');
    await alert.getByText('Show what was skipped or repaired').click();
    const text = await alert.textContent();
    assert.match(text, /bad_span\.json \(line 1, resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]\): span skipped/);
    assert.match(text, /README\.md.*not/);
  });
});

test('a file cut off while it was written keeps every whole span and says where it stops', async () => {
  // The sample cut just after its 20th span closes, and a few bytes into the 21st: a CI job
  // killed while its exporter wrote.
  const text = await readFile(join(FIXTURES, 'order-e2e.json'), 'utf8');
  const lines = text.split('\n');
  let offset = 0, spans = 0, open = false, cut = 0;
  for (let i = 0; i < lines.length && !cut; i++) {
    if (lines[i - 1] === '      {' && lines[i].startsWith('       "traceId"')) open = true;
    if (open && /^      \},?$/.test(lines[i]) && ++spans === 20) cut = offset + lines[i].length + 40;
    if (/^      \},?$/.test(lines[i])) open = false;
    offset += lines[i].length + 1;
  }
  const dir = await mkdtemp(join(tmpdir(), 'sightline-cut-'));
  const path = join(dir, 'cut-off.json');
  await writeFile(path, text.slice(0, cut));
  await withPage(browser, 'cut file', async (page) => {
    await page.goto(site.url);
    await loaded(page, 'traces').waitFor();
    await page.getByRole('button', { name: 'Open trace files' }).setInputFiles([path]);
    await loaded(page, 'Loaded 20 spans').waitFor();
    const alert = page.getByRole('alert');
    await alert.getByText('Show what was skipped or repaired').click();
    assert.match(await alert.textContent(), /cut-off\.json \(line 1\): not valid JSON \(EOF while parsing .*20 spans kept; the document stops at byte \d+ before it is complete \(the file looks cut off\)/);
    assert.ok(await page.getByRole('treegrid', { name: 'Waterfall' }).getByRole('row').count() > 0);
  });
});

test('pasting OTLP JSON on the page opens it', async () => {
  await withPage(browser, 'paste', async (page) => {
    await page.goto(site.url);
    await loaded(page, 'traces').waitFor();
    const text = await readFile(join(FIXTURES, 'edge/missing_parent.json'), 'utf8');
    await page.evaluate((text) => {
      const data = new DataTransfer();
      data.setData('text/plain', text);
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, text);
    await loaded(page, 'Loaded 3 spans · 1 trace ').waitFor();
    assert.match(await page.locator('.file-names').textContent(), /pasted text/);
  });
});

/** A CORS server that holds its answer (the sample) until `release()`: a fetch still in progress. */
async function heldServer() {
  const body = await readFile(join(FIXTURES, 'order-e2e.json'));
  let requested;
  const asked = new Promise((ok) => { requested = ok; });
  let release;
  const held = new Promise((ok) => { release = ok; });
  const server = createServer(async (req, res) => {
    requested();
    await held;
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
    res.end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/held.json`,
    asked,
    release,
    close: async () => {
      release();
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}

test('a file opened while a #src= is still loading replaces that load, which never shows up later', async () => {
  const held = await heldServer();
  try {
    await withPage(browser, 'superseded load', async (page) => {
      const linked = await otlpCounts(join(FIXTURES, 'linked-traces.json'));
      await page.goto(`${site.url}#src=${encodeURIComponent(held.url)}`);
      await held.asked;
      await open(page, [join(FIXTURES, 'linked-traces.json')]);
      await loaded(page, `Loaded ${linked.spans} spans`).waitFor();
      held.release();
      // Long enough for the held sample to arrive, decode and show, had its load lived on.
      await page.waitForTimeout(1500);
      await loaded(page, `Loaded ${linked.spans} spans`).waitFor({ timeout: 100 });
      assert.match(await page.locator('.file-names').textContent(), /linked-traces\.json/);
      assert.equal(await page.getByRole('alert').count(), 0, 'the replaced load says nothing');
    });
  } finally {
    await held.close();
  }
});

test('Cancel stops a #src= fetch in progress and says so', async () => {
  const held = await heldServer();
  try {
    await withPage(browser, 'cancelled fetch', async (page) => {
      await page.goto(`${site.url}#src=${encodeURIComponent(held.url)}`);
      await held.asked;
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('alert').filter({ hasText: `Cancelled loading ${held.url}.` }).waitFor();
      assert.equal(await page.getByRole('progressbar', { name: 'Loading progress' }).count(), 0);
      held.release();
      await page.waitForTimeout(1000);
      assert.equal(await loaded(page, /Loaded \d+ spans/).count(), 0, 'nothing was loaded after the cancel');
      await page.getByText('No trace loaded').waitFor({ timeout: 100 });
    });
  } finally {
    await held.close();
  }
});
