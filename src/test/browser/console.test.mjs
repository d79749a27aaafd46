// Drives the Busbar console in headless Debian Chromium through playwright-core (run by ConsoleBrowserIT).
// Env: BUSBAR_URL (the console's node), EXPECT_NODES, EXPECT_BUSY, SCREENSHOT_DIR, CHROMIUM (default /usr/bin/chromium).
// Exits 0 when every step passed; prints each step so that the IT's log shows where it stopped.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.BUSBAR_URL ?? 'http://127.0.0.1:8080';
const expectNodes = Number(process.env.EXPECT_NODES ?? '2');
const expectBusy = process.env.EXPECT_BUSY; // an address that must show among the busiest, if given
const shots = process.env.SCREENSHOT_DIR ?? '.';
const step = (text) => console.log(`[${new Date().toISOString()}] ${text}`);

const profile = mkdtempSync(join(tmpdir(), 'busbar-chromium-'));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    '--disable-dev-shm-usage', `--disk-cache-dir=${join(profile, 'cache')}`],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') step(`browser console error: ${m.text()}`); });

  step(`open ${url}`);
  await page.goto(url, { waitUntil: 'load' });
  await page.locator('#connection.open').waitFor({ timeout: 20000 });
  step('connected to the bridge');

  await page.waitForFunction((n) => document.querySelectorAll('#nodes tr.live').length === n, expectNodes, { timeout: 30000 });
  step(`nodes table shows ${expectNodes} live nodes`);

  const address = `events.console-${Date.now()}`;
  await page.fill('#tail-address', address);
  await page.click('#tail-button');
  await page.locator('#tail-subscriptions .chip', { hasText: address }).waitFor();
  step(`watching ${address}`);

  // A new subscription takes a moment to reach the cluster (a publish before that is dropped, by design):
  // publish from the form until the event shows in the tail.
  await page.fill('#send-address', address);
  await page.check('input[name=mode][value=publish]');
  let seen = false;
  for (let attempt = 1; attempt <= 20 && !seen; attempt++) {
    await page.fill('#send-body', JSON.stringify({ from: 'browser', attempt }));
    await page.click('#send-button');
    try {
      await page.locator('#tail li .addr', { hasText: address }).first().waitFor({ timeout: 1000 });
      seen = true;
      step(`published from the form, seen in the live tail (attempt ${attempt})`);
    } catch (e) {
      // not yet
    }
  }
  if (!seen) throw new Error(`the event published to ${address} never reached the live tail`);
  for (let extra = 1; extra <= 3; extra++) {
    await page.fill('#send-body', JSON.stringify({ from: 'browser', extra }));
    await page.click('#send-button');
  }
  await page.waitForFunction(() => document.querySelectorAll('#tail li').length >= 4, null, { timeout: 10000 });
  const tailText = await page.locator('#tail li').last().innerText();
  if (!tailText.includes('"from": "browser"')) throw new Error(`tail entry lacks the body: ${tailText}`);

  await page.fill('#send-address', 'svc.echo');
  await page.check('input[name=mode][value=request]');
  await page.fill('#send-body', '{"ping": "from the console"}');
  await page.click('#send-button');
  await page.waitForFunction(() => document.querySelector('#send-result').textContent.includes('from the console'),
    null, { timeout: 15000 });
  step('request to svc.echo answered in the form');

  await page.waitForFunction(() => !document.querySelector('#busiest tr.empty'), null, { timeout: 15000 });
  if (expectBusy) {
    await page.locator('#busiest td', { hasText: expectBusy }).first().waitFor({ timeout: 15000 });
  }
  step(`busiest addresses table filled${expectBusy ? ` (with ${expectBusy})` : ''}`);
  await page.waitForTimeout(1500); // one more heartbeat, so that the rates in the screenshot are not all zero
  await page.screenshot({ path: join(shots, 'console.png'), fullPage: true });
  step(`screenshot ${join(shots, 'console.png')}`);

  // Drop the connection under the page: it must say so, then reconnect by itself and keep working.
  await page.evaluate(() => window.busbarConsole.eventBus().sockJSConn.close());
  await page.locator('#connection.closed').waitFor({ timeout: 10000 });
  if (!(await page.locator('#banner').isVisible())) throw new Error('no banner while disconnected');
  await page.screenshot({ path: join(shots, 'console-disconnected.png') });
  step('connection drop shown');
  await page.locator('#connection.open', { hasText: 'Reconnected' }).waitFor({ timeout: 20000 });
  await page.waitForFunction((n) => document.querySelectorAll('#nodes tr.live').length === n, expectNodes, { timeout: 30000 });
  step('reconnected by itself; nodes live again');

  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  step('PASS');
} catch (e) {
  failed = true;
  console.error(`FAIL: ${e.stack ?? e}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
