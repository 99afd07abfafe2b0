// The release page as an attacker tries it in a real browser (issue 13):
// markup and script in a printer's name and location, a job's title and a
// user's name show as plain text and run nothing (the page builds its DOM
// with textContent; the CSP would report an inline handler); a link to
// /oidc/callback that answers no login of the tab shows none of the
// attacker's text; the session token stays out of URLs, Referer headers,
// cookies and localStorage; logging out clears the screen at once, even
// while the cloud is slow to answer.

import { runTest, openPage, shot, check, waitFor, text } from './harness.mjs';
import { env, origin, submit, heldTitles, srctl } from './common.mjs';

const PHONE = { width: 390, height: 844 };
const NAME = '<img src=x onerror="window.__xss=\'name\'">Lab';
const LOCATION = '<script>window.__xss=\'location\'</script>Floor 2';
const TITLE = '<svg onload="window.__xss=\'title\'"></svg>Report';
const USER = '<img src=y onerror="window.__xss=\'user\'">Mallory';

// what markup from the data would have left in the page
async function injected(page) {
  return page.evaluate(() => ({
    ran: window.__xss || null,
    elements: document.querySelectorAll('img[src="x"], img[src="y"], #app script, #app svg[onload]').length,
  }));
}

await runTest(async (browser) => {
  srctl('device', 'add', 'xss', '--name', NAME, '--location', LOCATION, '--uri', 'ipp://127.0.0.1:9/ipp/print');
  srctl('user', 'add', '--email', 'mallory@example.com', '--name', USER, '--pin', '9753',
    '--secret-file', env.SR_SECRET_FILE, '--tenant', env.SR_TENANT);
  submit(env.QUEUE_ALICE, TITLE);
  check('the job with markup in its title is held', await waitFor(() => heldTitles().includes(TITLE), 20000), heldTitles());

  // 1. markup in the printer's name and location, a job title, a user name
  const { page, net, context } = await openPage(browser, origin, { viewport: PHONE });
  const referers = [];
  page.on('request', async (r) => {
    if (!r.url().includes('/api/')) return;
    const h = await r.allHeaders();
    if (h.referer) referers.push(`${r.url()} ${h.referer}`);
  });
  await page.goto(`${origin}/r/xss`);
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  check('the printer\'s name shows as text, markup and all', await waitFor(async () => (await text(page, 'h1')).includes(NAME)), await text(page, 'h1'));
  check('its location too', (await text(page, 'header')).includes(LOCATION), await text(page, 'header'));
  await page.getByLabel('Email', { exact: true }).fill(env.DEMO_EMAIL);
  await page.getByLabel('PIN', { exact: true }).fill(env.DEMO_PIN);
  await page.getByRole('button', { name: 'Log in' }).click();
  const row = page.locator('li.job', { hasText: 'Report' });
  check('the job\'s title shows as text, markup and all', await waitFor(async () => (await row.innerText()).includes(TITLE)), await row.allInnerTexts());
  let seen = await injected(page);
  check('nothing of the markup became an element or ran', seen.ran === null && seen.elements === 0, seen);
  await shot(page, 'attack-1-markup-as-text');

  const store = await page.evaluate(() => ({ url: location.href, local: JSON.stringify(localStorage), session: sessionStorage.getItem('sr.session') }));
  const token = JSON.parse(store.session || '{}').token || '';
  check('logged in (a token for the tab)', token.length > 20);
  check('the token is in no URL, cookie or localStorage', !store.url.includes(token) && !store.local.includes(token) &&
    (await context.cookies()).length === 0 && !net.requests.some((u) => u.includes(token)));
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await page.getByLabel('Email', { exact: true }).fill('mallory@example.com');
  await page.getByLabel('PIN', { exact: true }).fill('9753');
  await page.getByRole('button', { name: 'Log in' }).click();
  check('the user\'s name shows as text, markup and all', await waitFor(async () => (await text(page, '.userbar')).includes(USER)), await text(page, '.userbar'));
  seen = await injected(page);
  check('nothing of it became an element or ran', seen.ran === null && seen.elements === 0, seen);
  // 3. logging out while the cloud is slow to answer (a shared kiosk or
  // desktop): the jobs are gone from the screen at once, and the session
  // still ends at the cloud when the call gets through
  const mine = JSON.parse(await page.evaluate(() => sessionStorage.getItem('sr.session')) || '{}').token || '';
  let held = null;
  await page.route('**/api/v1/panel/sessions/current', (route) => { held = route; });
  await page.getByRole('button', { name: 'Log out' }).click();
  check('the log-out call is under way (held back here)', await waitFor(() => held !== null));
  check('while it is, the login form is back and no job or user is on screen',
    await waitFor(async () => (await page.getByRole('button', { name: 'Log in' }).count()) === 1) &&
    (await page.locator('li.job, .userbar').count()) === 0, await text(page, 'main'));
  check('and the tab keeps no session', await page.evaluate(() => sessionStorage.getItem('sr.session') === null));
  const bearer = held ? (await held.request().allHeaders()).authorization : '';
  check('the held call carries the session being ended', bearer === `Bearer ${mine}` && mine.length > 20);
  if (held) await held.continue();
  await page.unroute('**/api/v1/panel/sessions/current');
  const after = async () => page.evaluate(async (t) => (await fetch('/api/v1/panel/jobs', { headers: { Authorization: `Bearer ${t}` } })).status, mine);
  check('once it gets through, the session is ended at the cloud (401)', await waitFor(async () => (await after()) === 401), await after());
  check('no API request carried a Referer', referers.length === 0, referers);
  check('no CSP violation or script error (nothing inline was even tried)', net.problems.length === 0, net.problems);
  await context.close();

  // 2. a link to the single sign-on's return address that answers no
  // login this tab started: the attacker's words are not shown on the
  // site's page
  const lure = 'Your account is locked: call 555-0100';
  for (const query of [`error=access_denied&error_description=${encodeURIComponent(lure)}`,
    `error=${encodeURIComponent(lure)}&state=made-up`, `code=stolen&state=made-up&error_description=${encodeURIComponent(lure)}`]) {
    const p = await openPage(browser, origin, { viewport: PHONE });
    const api = [];
    p.page.on('request', (r) => { if (r.url().includes('/api/')) api.push(r.url()); });
    await p.page.goto(`${origin}/oidc/callback?${query}`);
    await p.page.locator('[role=alert]').waitFor();
    const shown = await p.page.locator('body').innerText();
    check(`/oidc/callback?${query}: says the answer is not this page's`, shown.includes('did not match this page'), shown);
    check(`/oidc/callback?${query}: none of the attacker's text`, !shown.includes('555-0100'), shown);
    check(`/oidc/callback?${query}: the query is gone from the address`, p.page.url() === `${origin}/oidc/callback`, p.page.url());
    check(`/oidc/callback?${query}: no login was tried`, api.length === 0, api);
    await shot(p.page, 'attack-2-oidc-lure');
    await p.context.close();
  }
});
