import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { UI_CONTENT_SECURITY_POLICY } from '../../src/http/ui-routes.js';
import { authorFor, attest } from '../helpers/fixtures.js';
import { nodeForTest, startNode, waitFor } from '../helpers/cluster.js';

/** Debian's chromium (what .ci/run installs), or $CHROMIUM_PATH. */
function chromiumPath(): string | null {
  const env = process.env.CHROMIUM_PATH;
  if (env !== undefined && existsSync(env)) return env;
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const chromium = chromiumPath();

test('the dashboard in headless Chromium shows the submitted prices on the feed chart and the peer count', { skip: chromium === null ? 'no Chromium here (Debian: apt-get install chromium; .ci/run installs it)' : false, timeout: 120_000 }, async (t) => {
  const { node, dir } = await nodeForTest(t, 'dashboard');
  const peer = await startNode(join(dir, 'peer'), { bootstrap: [node.network.multiaddrs()[0]!] });
  t.after(() => peer.stop());
  await waitFor(() => node.network.peers().length > 0, 15_000);
  const base = 1_700_000_000_000;
  const prices = [2500_12, 2501_34, 2499_87, 2502_50];
  for (const [k, p] of prices.entries()) {
    const u = authorFor(`dash-${k}`).next([attest('DASH/USD', p, base + k * 1000)], base + k * 1000);
    assert.equal((await node.submit(u.bytes)).outcome.status, 'accepted', `attestation ${k} is accepted`);
  }
  const res = await fetch(`${node.apiUrl}/ui`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-security-policy'), UI_CONTENT_SECURITY_POLICY, 'the page runs under a policy that loads nothing from elsewhere');

  const browser = await puppeteer.launch({ executablePath: chromium!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors: string[] = [];
  const external: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('request', (r) => void (!r.url().startsWith(node.apiUrl!) && external.push(r.url())));
  await page.setViewport({ width: 1200, height: 1400 });
  await page.goto(`${node.apiUrl}/ui?poll=500`, { waitUntil: 'load' });
  await page.waitForSelector('svg[data-feed="DASH/USD"] circle', { timeout: 30_000 });
  await page.waitForFunction("document.getElementById('peers-count')?.textContent === '1'", { timeout: 30_000 });
  const shown = await page.$$eval('svg[data-feed="DASH/USD"] circle', (cs) => cs.map((c) => c.getAttribute('data-value')));
  assert.deepEqual(shown.sort(), ['2499.87', '2500.12', '2501.34', '2502.50'], 'the feed chart shows exactly the submitted prices');
  const title = await page.$eval('[data-feed-section="DASH/USD"] h3', (h) => h.textContent);
  assert.match(title ?? '', /DASH\/USD: 2500\.\d+ ± .* \(4 inputs\)/, 'with the node\'s aggregate price');
  assert.equal(await page.$eval('#peers-count', (e) => e.textContent), '1', 'the peer count');
  assert.equal(await page.$eval('#updates', (e) => e.textContent), String(node.log.size), 'the update count');
  const shot = join(dir, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(existsSync(shot), `a screenshot at ${shot}`);
  assert.deepEqual(errors, [], 'no script errors');
  assert.deepEqual(external, [], 'no request leaves the node');
});
