// Retakes the README's screenshots (docs/*.png) from the release build in dist/:
// `trunk build --release && node scripts/screenshots.mjs`.
import { join } from 'node:path';
import { serve, launch, ROOT } from '../tests/e2e/harness.mjs';
const shot = (name) => join(ROOT, 'docs', name);
const site = await serve();
const browser = await launch();
const open = async (scheme) => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 }, colorScheme: scheme });
  await page.goto(site.url);
  await page.getByRole('status').filter({ hasText: 'Loaded' }).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(800);
  return page;
};
// The sample as it opens.
let page = await open('light');
await page.mouse.move(5, 855);
await page.screenshot({ path: shot('sample.png') });
await page.close();
// Zoomed on the failing request, its payloads open.
page = await open('light');
const grid = page.getByRole('treegrid', { name: 'Waterfall' });
await grid.getByRole('row').filter({ hasText: 'POST 127.0.0.1/orders' }).nth(2).click();
const axis = await page.locator('.wf-axis-ticks').boundingBox();
await page.mouse.move(axis.x + axis.width * 0.58, axis.y + axis.height / 2);
await page.mouse.down();
await page.mouse.move(axis.x + axis.width * 0.75, axis.y + axis.height / 2, { steps: 8 });
await page.mouse.move(axis.x + axis.width * 0.90, axis.y + axis.height / 2, { steps: 8 });
await page.mouse.up();
await page.waitForTimeout(500);
await grid.evaluate((g) => { g.scrollTop = 0; g.dispatchEvent(new Event('scroll')); });
await page.waitForTimeout(500);
await page.mouse.move(5, 855);
await page.screenshot({ path: shot('zoomed-request.png') });
await page.close();
// Dark, on the traceback.
page = await open('dark');

await page.evaluate(() => { const g = document.querySelector('[role=treegrid]'); g.scrollTop = 0; g.dispatchEvent(new Event('scroll')); });
await page.waitForTimeout(600);
await page.mouse.move(5, 855);
await page.screenshot({ path: shot('dark-traceback.png') });
await page.close();
// A test trace and the worker trace it enqueued, shown together.
page = await browser.newPage({ viewport: { width: 1400, height: 560 }, colorScheme: 'light' });
await page.goto(site.url);
await page.getByRole('status').filter({ hasText: 'Loaded' }).waitFor({ timeout: 60_000 });
await page.getByRole('button', { name: 'Open trace files' }).setInputFiles(join(ROOT, 'tests/fixtures/linked-traces.json'));
await page.getByRole('status').filter({ hasText: 'Loaded 9 spans' }).waitFor();
await page.waitForTimeout(800);
await page.mouse.move(700, 555);
await page.screenshot({ path: shot('linked-traces.png') });
await browser.close(); await site.close();
