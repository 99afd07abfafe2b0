// The console as the cloud serves it (docs/console.md): an administrator
// (alice, group sr-admins at the test OpenID provider) signs in through
// the provider's pages — the cloud's authorization code with PKCE, mapped
// to a role by the tenant's console_roles — and walks the console
// (console_flow.mjs: overview with charts, accepts a discovered printer,
// adds a user, changes the hold time and sees it in the audit log — under
// their own email —, jobs with 100,000 in the tenant, axe and weight on
// every page); a help desk person (grace, group sr-helpdesk) signs in the
// same way and sees the settings read only, and their PATCH is refused;
// a one-time sign-in link signs a browser in too; the session cookie is
// HttpOnly and the page never reads it. tests/web/run.sh starts the
// stack with STACK_CONSOLE_OIDC=1 for this test.

import { runTest, openPage, check, waitFor } from './harness.mjs';
import { consoleSignIn, env, signInAtProvider, logCalls } from './common.mjs';
import { cloud, consoleFlow } from './console_flow.mjs';

// A browser that opens the console, is asked to sign in, and does so at
// the OpenID provider as LOGIN; back at the console, it says who is in.
async function openThroughProvider(browser, login, role) {
  const o = await openPage(browser, cloud, { viewport: { width: 1280, height: 900 } });
  logCalls(o.context);
  await o.page.goto(`${cloud}/console/#/settings`);
  await o.page.getByRole('link', { name: 'Sign in' }).click();
  await o.page.waitForURL((u) => u.href.startsWith(env.OIDC_ISSUER), { timeout: 10000 });
  const back = await signInAtProvider(o.page, login, () => {
    const u = new URL(o.page.url());
    return u.origin === cloud && u.pathname === '/console/';
  }, `console-${login}`);
  check(`${login} signs in at the OpenID provider`, back, o.page.url());
  check(`${login} is back at the console page they asked for`, await waitFor(() => new URL(o.page.url()).hash === '#/settings'), o.page.url());
  // the provider's pages are another origin by design; from here on the
  // console's own pages must fetch nothing from one
  o.net.foreign.length = 0;
  const who = await waitFor(async () => { const w = await o.page.locator('#who').innerText(); return w.includes(`(${role})`) ? w : null; });
  check(`the console says ${login} is signed in as ${role}`, who !== null, await o.page.locator('#who').innerText());
  return o;
}

await runTest(async (browser, figures) => {
  await consoleFlow(browser, figures, (b) => openThroughProvider(b, 'alice', 'administrator'));

  // a one-time sign-in link (srctl console link) signs a browser in too
  const l = await openPage(browser, cloud, { viewport: { width: 1280, height: 900 } });
  await consoleSignIn(l.page, 'administrator');
  const s = await l.page.evaluate(async () => (await fetch('/api/v1/session')).json());
  check('a sign-in link signs a browser in as the administrator', s.role === 'administrator' && s.email === env.DEMO_EMAIL, s);
  await l.context.close();

  // the audit log names the person, not a token
  const a = await openThroughProvider(browser, 'alice', 'administrator');
  await a.page.goto(`${cloud}/console/#/audit`);
  await waitFor(() => a.page.evaluate(() => performance.getEntriesByName('sr:audit').length > 0));
  const log = await a.page.locator('table').innerText();
  check('the audit log names the administrator who changed the hold time', /settings\.update[^\n]*hold_time/.test(log) &&
    log.split('\n').some((l) => l.includes('settings.update') && l.includes(process.env.DEMO_EMAIL)), log.slice(0, 300));
  const cookies = await a.context.cookies();
  const session = cookies.find((c) => c.name === '__Host-sr_session');
  check('the session cookie is HttpOnly, Secure, SameSite=Strict', session && session.httpOnly && session.secure && session.sameSite === 'Strict', session);
  check('the page cannot read it', !(await a.page.evaluate(() => document.cookie.includes('sr_session'))));
  await a.context.close();

  // a help desk session: settings read only in the page, refused by the API
  const hd = await openThroughProvider(browser, 'grace', 'helpdesk');
  await hd.page.goto(`${cloud}/console/#/settings`);
  await waitFor(() => hd.page.evaluate(() => performance.getEntriesByName('sr:settings').length > 0));
  check('help desk: the hold time field is read only', await hd.page.getByLabel('Hold time').isDisabled());
  const status = await hd.page.evaluate(async () => {
    const s = await (await fetch('/api/v1/session')).json();
    const r = await fetch('/api/v1/settings', { method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: '{"hold_time": "2h"}' });
    return r.status;
  });
  check(`help desk: PATCH /settings is refused (${status})`, status === 403);
  await hd.context.close();
});
