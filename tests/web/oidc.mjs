// Single sign-on on the release page (OpenID Connect authorization code
// with PKCE) in the browser, against the real stack and a real provider
// (tests/oidc/provider.mjs, started by tests/web/run.sh, which sends the
// browser back to the site's /oidc/callback): the page offers single
// sign-on because the cloud has it set up, the button leads to the
// provider's own login and consent pages, and the page comes back logged
// in with the user's jobs listed, the code and session in no address. A
// way back whose state is not the one the page sent is refused by the
// page: no login is tried and no session kept. And on a slow network the
// printer's info (which adds single sign-on) arriving while the person
// types in the login form keeps what was typed.

import { runTest, openPage, shot, accessible, check, waitFor, text } from './harness.mjs';
import { env, origin, submit, heldTitles, signInAtProvider } from './common.mjs';

const PHONE = { width: 390, height: 844 };

// Through the provider's pages (common.mjs), back at the site's
// /oidc/callback since the FROM-th navigation of the page.
async function signInHere(page, login, from) {
  check('back at the site\'s /oidc/callback', await signInAtProvider(page, login, () => visitedCallback(page, from), 'oidc'), navs.get(page));
}

// The main frame's navigations of each page (trackNavigations): where
// it came to /oidc/callback since its FROM-th.
const navs = new WeakMap();
function trackNavigations(page) {
  navs.set(page, []);
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navs.get(page).push(f.url()); });
}
const navigations = (page) => navs.get(page).length;
const visitedCallback = (page, from) => navs.get(page).slice(from).some((u) => u.startsWith(`${origin}/oidc/callback`));

// The page's request to the provider's authorization endpoint, as a URL.
async function authorizeRequest(net) {
  const u = await waitFor(() => net.requests.find((r) => r.startsWith(`${env.OIDC_ISSUER}/auth?`)), 10000);
  return u ? new URL(u) : null;
}

// Requests the site's own pages make to another origin (the provider's
// pages, where the person is sent, are not the site's).
function foreignOfSite(page, origin) {
  const out = [];
  page.on('request', (r) => {
    if (!r.isNavigationRequest() && r.frame().url().startsWith(origin) && !r.url().startsWith(origin) && !r.url().startsWith('data:')) out.push(r.url());
  });
  return out;
}

await runTest(async (browser, figures) => {
  submit(env.QUEUE_ALICE, 'Signed on');
  check('a job of alice\'s held', await waitFor(() => heldTitles().includes('Signed on'), 20000), heldTitles());

  // 0. on a slow network the printer's info (single sign-on: yes) comes
  // while the person types: the new way to log in joins the choice, and
  // what was typed stays, with the focus (the site's own answer, held back)
  const slow = await openPage(browser, origin, { viewport: PHONE });
  let letInfoThrough;
  const infoHeld = new Promise((r) => { letInfoThrough = r; });
  await slow.page.route('**/api/v1/panel/devices/printer1', async (route) => { await infoHeld; await route.continue(); });
  await slow.page.goto(`${origin}/r/printer1`);
  await slow.page.getByLabel('Email', { exact: true }).pressSequentially('alice@exa');
  letInfoThrough();
  check('the printer\'s info arrives: single sign-on is offered', await waitFor(async () =>
    (await slow.page.getByText('Single sign-on', { exact: true }).count()) === 1));
  await slow.page.keyboard.type('mple.com');
  check('what was typed before stays, and typing goes on in the same field',
    (await slow.page.getByLabel('Email', { exact: true }).inputValue()) === 'alice@example.com',
    await slow.page.getByLabel('Email', { exact: true }).inputValue());
  await shot(slow.page, 'oidc-0-info-while-typing');
  await accessible(slow.page, 'the login form with single sign-on added (phone)');
  await slow.context.close();

  // 1. the release page offers single sign-on
  const { page, net, context } = await openPage(browser, origin, { viewport: PHONE });
  const foreign = foreignOfSite(page, origin);
  const logins = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/panel/sessions')) logins.push(r.url()); });
  await page.goto(`${origin}/r/printer1`);
  const sso = page.getByText('Single sign-on', { exact: true });
  check('the page offers single sign-on (the cloud has it for browsers)', await waitFor(async () => (await sso.count()) === 1), await text(page, '.view'));
  await sso.click();
  const go = page.getByRole('button', { name: 'Continue with single sign-on' });
  await go.waitFor();
  await shot(page, 'oidc-1-choose');
  await accessible(page, 'the single sign-on choice (phone)');

  // 2. to the provider and back, logged in
  const started = Date.now();
  trackNavigations(page);
  await go.click();
  const authorize = await authorizeRequest(net);
  check('the page sends the browser to the provider with a PKCE S256 challenge, a state and a nonce', authorize &&
    authorize.searchParams.get('client_id') === 'securerelease-panel' && authorize.searchParams.get('code_challenge_method') === 'S256' &&
    authorize.searchParams.get('redirect_uri') === `${origin}/oidc/callback` &&
    ['code_challenge', 'state', 'nonce'].every((p) => (authorize.searchParams.get(p) || '').length >= 20), authorize && authorize.href);
  await signInHere(page, 'alice', 0);
  check('back at the site: logged in as Alice Demo', await waitFor(async () => (await text(page, '.userbar')).includes('Alice Demo'), 15000),
    await text(page, '.messages'));
  check('her held job is listed', await waitFor(async () => (await page.getByRole('button', { name: 'Print Signed on' }).count()) === 1));
  figures.push(`single sign-on, from the button to the job list (provider's pages filled by the test): ${Date.now() - started} ms`);
  check('the address is the printer\'s release page again: no code or state in it', new URL(page.url()).pathname === '/r/printer1' && !page.url().includes('?'), page.url());
  const token = await page.evaluate(() => (JSON.parse(sessionStorage.getItem('sr.session') || '{}').token || ''));
  check('the session is kept for the tab, and in no address', token.length > 20 && !net.requests.some((u) => u.includes(token)));
  check('one login sent to the site', logins.length === 1, logins);
  await shot(page, 'oidc-4-jobs');
  await accessible(page, 'the job list after single sign-on (phone)');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  check('the site\'s pages asked nothing of another origin', foreign.length === 0, foreign);
  check('no console error, CSP violation or script error', net.problems.length === 0, net.problems);
  await context.close();

  // 3. a way back whose state is not the page's: refused by the page
  const t = await openPage(browser, origin, { viewport: PHONE });
  const tried = [];
  t.page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/panel/sessions')) tried.push(r.url()); });
  await t.page.goto(`${origin}/r/printer1`);
  await t.page.getByText('Single sign-on', { exact: true }).click();
  await t.page.getByRole('button', { name: 'Continue with single sign-on' }).click();
  const sent = await authorizeRequest(t.net);
  await t.page.waitForURL((u) => u.href.startsWith(`${env.OIDC_ISSUER}/interaction/`));
  // the same authorization asked with another state, as an attacker's link would
  const forged = new URL(sent.href);
  forged.searchParams.set('state', `${forged.searchParams.get('state')}x`);
  trackNavigations(t.page);
  await t.page.goto(forged.href);
  await signInHere(t.page, 'alice', 0);
  check('the page refuses it, back on the printer\'s page to start again', await waitFor(async () =>
    (await text(t.page, '[role=alert]')) === 'The single sign-on answer did not match this page. Please start again.' &&
    (await text(t.page, 'h1')) === 'Print at Demo Printer'), await text(t.page, 'main'));
  check('the code is out of the address: it is the printer\'s again', t.page.url() === `${origin}/r/printer1`, t.page.url());
  check('no login was tried with its code, no session kept', tried.length === 0 &&
    await t.page.evaluate(() => sessionStorage.getItem('sr.session') === null && sessionStorage.getItem('sr.oidc') === null), tried);
  check('single sign-on is the way chosen there, to start again at once',
    await waitFor(async () => (await t.page.getByRole('button', { name: 'Continue with single sign-on' }).count()) === 1));
  await shot(t.page, 'oidc-5-state-refused');
  await accessible(t.page, 'a single sign-on answer refused (phone)');
  // starting again from there logs in (the refusal was the state's alone)
  const again = navigations(t.page);
  await t.page.getByRole('button', { name: 'Continue with single sign-on' }).click();
  await signInHere(t.page, 'alice', again);
  check('started again, the same person is logged in', await waitFor(async () => (await text(t.page, '.userbar')).includes('Alice Demo'), 15000),
    await text(t.page, '.messages'));
  check('with one login sent', tried.length === 1, tried);
  await t.context.close();

  // a way back in a tab that started no sign-on (an attacker's link): refused
  const f = await openPage(browser, origin, { viewport: PHONE });
  const fTried = [];
  f.page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/panel/sessions')) fTried.push(r.url()); });
  await f.page.goto(`${origin}/oidc/callback?code=attackers-code&state=attackers-state`);
  check('a way back nobody started here is refused, on the landing page', await waitFor(async () =>
    (await text(f.page, '[role=alert]')) === 'The single sign-on answer did not match this page. Please start again.'), await text(f.page, 'main'));
  check('its code is out of the address, no login tried, no session', new URL(f.page.url()).search === '' && fTried.length === 0 &&
    await f.page.evaluate(() => sessionStorage.getItem('sr.session') === null), [f.page.url(), fTried]);
  await shot(f.page, 'oidc-6-unasked-refused');
  await accessible(f.page, 'a way back nobody started (phone)');
  check('no console error, CSP violation or script error', t.net.problems.concat(f.net.problems).length === 0, t.net.problems.concat(f.net.problems));
  await f.context.close();
});
