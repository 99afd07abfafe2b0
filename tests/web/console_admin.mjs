// The console as the cloud serves it (docs/console.md): an administrator
// signs in with a one-time sign-in link (cookie session, CSRF token), and
// walks the console (console_flow.mjs: overview with charts, accepts a
// discovered printer, adds a user, changes the hold time and sees it in
// the audit log — under their own email —, jobs with 100,000 in the
// tenant, axe and weight on every page); a help desk session sees the
// settings read only and its PATCH is refused; the session cookie is
// HttpOnly and the page never reads it. Needs the cloud to serve
// /console/ and sign-in links (issue 14 slice 1).

import { runTest, openPage, check, waitFor } from './harness.mjs';
import { consoleSignIn } from './common.mjs';
import { cloud, consoleFlow, logCalls } from './console_flow.mjs';

async function open(browser, role = 'administrator', email) {
  const o = await openPage(browser, cloud, { viewport: { width: 1280, height: 900 } });
  logCalls(o.context);
  await consoleSignIn(o.page, role, email);
  return o;
}

await runTest(async (browser, figures) => {
  await consoleFlow(browser, figures, (b) => open(b));

  // the audit log names the person, not a token
  const a = await open(browser);
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
  const hd = await open(browser, 'helpdesk');
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
