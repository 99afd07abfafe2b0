// Signing in to the cloud's web console with a one-time link (docs/console.md)
// in chromium: the page /console/link redeems the fragment's token, drops it
// from the address bar, and leaves the browser with a session cookie no
// script can read; the same link in another browser, or a link without its
// token, says what is wrong; the page is light, accessible, strict-CSP.

import { runTest, openPage, shot, accessible, check, waitFor, text } from './harness.mjs';
import { env, srctl } from './common.mjs';

const cloud = new URL(env.SR_CLOUD_URL).origin;

await runTest(async (browser, figures) => {
  const link = srctl('console', 'link', '--email', env.DEMO_EMAIL).trim();
  check('srctl console link prints a link to the cloud\'s /console/link with a token', link.startsWith(`${cloud}/console/link#`), link);

  const { page, net, context } = await openPage(browser, cloud, { viewport: { width: 1024, height: 700 } });
  const res = await page.goto(link);
  const csp = res.headers()['content-security-policy'] || '';
  check('the link page comes with its CSP (no inline script)', /script-src 'self';/.test(csp) && !/unsafe-inline/.test(csp), csp);
  const arrived = await waitFor(async () => new URL(page.url()).pathname === '/console/');
  check('the link signs in and goes to the console', arrived, page.url());
  check('the token is gone from the address', !page.url().includes('#'), page.url());
  const cookie = (await context.cookies(cloud)).find((c) => c.name === '__Host-sr_session');
  check('the session cookie is HttpOnly, Secure, SameSite=Strict, Path=/', cookie && cookie.httpOnly && cookie.secure &&
    cookie.sameSite === 'Strict' && cookie.path === '/', cookie);
  check('no script sees it', !(await page.evaluate(() => document.cookie)).includes('sr_session'));
  const session = await page.evaluate(async () => (await fetch('/api/v1/session')).json());
  check('the page learns who is signed in, as administrator', session.email === env.DEMO_EMAIL && session.role === 'administrator', session);
  const change = await page.evaluate(async () => (await fetch('/api/v1/settings', {
    method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: '{"expiry_warning": "10m"}',
  })).status);
  check('a change from the page without the CSRF token is refused (403)', change === 403, change);
  const withToken = await page.evaluate(async (csrf) => (await fetch('/api/v1/settings', {
    method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: '{"expiry_warning": "10m"}',
  })).status, session.csrf);
  check('with the session\'s CSRF token it is made (200)', withToken === 200, withToken);
  check('no request to another origin', net.foreign.length === 0, net.foreign);
  check('no console error, CSP violation or script error', net.problems.length === 0, net.problems);

  // the same link in another browser: used already
  const other = await openPage(browser, cloud, { viewport: { width: 390, height: 844 } });
  await other.page.goto(link);
  const used = await waitFor(async () => (await text(other.page, '#msg-used')).includes('used already'));
  check('the same link in another browser says it was used already', used, await text(other.page, 'main'));
  check('and signs nothing in', !(await other.context.cookies(cloud)).some((c) => c.name === '__Host-sr_session'));
  check('the link page is light (at most 20 KB)', other.net.bytes <= 20 * 1024, other.net.bytes);
  figures.push(`sign-in link page ${(other.net.bytes / 1024).toFixed(1)} KB in ${other.net.requests.length} requests`);
  await shot(other.page, 'link-used');
  await accessible(other.page, 'the sign-in link page (used link)');

  const bare = await openPage(browser, cloud, { viewport: { width: 390, height: 844 } });
  await bare.page.goto(`${cloud}/console/link`);
  const missing = await waitFor(async () => (await text(bare.page, '#msg-missing')).length > 0);
  check('a link without its token says so', missing, await text(bare.page, 'main'));
  await shot(bare.page, 'link-missing');
  await accessible(bare.page, 'the sign-in link page (no token)');
});
