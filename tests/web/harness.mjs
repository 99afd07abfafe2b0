// The browser tests' harness: Debian's chromium driven by playwright-core
// (never a downloaded browser), with a throw-away HOME; checks counted as
// tests/support/checks.sh counts them; screenshots into the test's build
// directory (SR_WEB_OUT); axe-core injected into each page (no violation
// of impact serious or critical); what each page transferred, from the
// DevTools protocol; the CPU slowed down as on a printer's panel.

import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const outDir = process.env.SR_WEB_OUT || join(tmpdir(), 'sr-web-out');
mkdirSync(outDir, { recursive: true });

let passed = 0, failed = 0;

// check('what is expected', condition): counts and names each failure
export function check(what, ok, detail) {
  if (ok) passed += 1;
  else {
    failed += 1;
    console.log(`FAIL: ${what}${detail !== undefined ? ` (${typeof detail === 'string' ? detail : JSON.stringify(detail)})` : ''}`);
  }
  return ok;
}

// Prints "N passed, M failed" and exits 0 only if none failed.
export function done() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

// Waits for `fn` (async) to be truthy: polled every 50 ms for at most
// `ms`; resolves to its last value (a positive signal, bounded).
export async function waitFor(fn, ms = 15000) {
  const end = Date.now() + ms;
  let v;
  for (;;) {
    try {
      v = await fn();
    } catch {
      v = false;
    }
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

let home = null;

export async function launch() {
  home = mkdtempSync(join(tmpdir(), 'sr-web-home-'));
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') };
  const browser = await chromium.launch({
    executablePath: process.env.SR_CHROMIUM || '/usr/bin/chromium',
    // no name resolves but localhost: nothing leaves loopback, even where a
    // page not ours (the test OpenID provider's) asks for a web font
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-extensions',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'],
    env,
  });
  return browser;
}

export async function close(browser) {
  await browser.close();
  if (home) rmSync(home, { recursive: true, force: true });
}

// A fresh page (its own context: no cache, no storage) of `viewport`,
// with what it transfers counted: {page, cdp, net}. net.bytes: bytes on
// the wire (headers and bodies), net.requests: their URLs, net.foreign:
// requests to any other origin than `origin`, net.problems: console
// errors, CSP violations and page errors, net.failed: answers >= 400.
export async function openPage(browser, origin, { viewport, throttle = 1, storage } = {}) {
  const context = await browser.newContext({ viewport, ignoreHTTPSErrors: true, storageState: storage });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const net = { bytes: 0, requests: [], foreign: [], problems: [], failed: [] };
  await cdp.send('Network.enable');
  cdp.on('Network.requestWillBeSent', (e) => {
    const url = e.request.url;
    if (url.startsWith('data:')) return;
    net.requests.push(url);
    if (!url.startsWith(origin)) net.foreign.push(url);
  });
  cdp.on('Network.loadingFinished', (e) => { net.bytes += e.encodedDataLength; });
  // a refused API call is logged by the browser too: those are in net.failed
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) net.problems.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) net.failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  page.on('pageerror', (e) => net.problems.push(`page error: ${e.message}`));
  if (throttle > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
  return { page, cdp, net, context };
}

// Resets the transfer count (for one page's figure).
export function resetNet(net) {
  net.bytes = 0;
  net.requests.length = 0;
}

export async function shot(page, name) {
  const path = join(outDir, `${name}.png`);
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  return path;
}

// axe-core in the page (evaluated through the DevTools protocol, which
// the page's CSP does not govern); checks there is no violation of
// impact serious or critical.
export async function accessible(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(`axe: no serious or critical violation on ${label}`, bad.length === 0, bad);
  return result;
}

// The text a visible element with `selector` shows (or '').
export async function text(page, selector) {
  const el = await page.$(selector);
  return el ? (await el.innerText()).trim() : '';
}

// The page's own mark `sr:NAME` (dom.js ready()): ms since the page was
// opened, the latest one; null if it never came.
export async function mark(page, name) {
  return page.evaluate((n) => {
    const all = performance.getEntriesByName(`sr:${n}`);
    return all.length ? Math.round(all[all.length - 1].startTime) : null;
  }, name);
}

// Runs a test: `body(browser, figures)` with a launched browser; an
// exception counts as a failed check; then prints the figures the test
// pushed ("figure: ..."), closes the browser and exits with the verdict.
export async function runTest(body) {
  const figures = [];
  const browser = await launch();
  try {
    await body(browser, figures);
  } catch (e) {
    check(`the test ran to its end: ${e.message}`, false);
  } finally {
    for (const f of figures) console.log(`figure: ${f}`);
    await close(browser);
  }
  done();
}
