// The page at the site service's root, where a person lands without a
// printer's address: it says what to do, with the page's security
// headers, light, accessible, and nothing fetched from elsewhere.

import { runTest, openPage, shot, accessible, check, waitFor, text } from './harness.mjs';
import { origin } from './common.mjs';

await runTest(async (browser, figures) => {
  const { page, net } = await openPage(browser, origin, { viewport: { width: 390, height: 844 } });
  const res = await page.goto(`${origin}/`);
  await page.waitForLoadState('networkidle');
  const headers = res.headers();
  check('the page comes with its Content-Security-Policy (no inline script)',
    /script-src 'self';/.test(headers['content-security-policy'] || '') && !/unsafe-inline/.test(headers['content-security-policy']));
  check('it says what the page is for', (await page.locator('h1').innerText()).length > 0);
  check('at most 150 KB transferred', net.bytes <= 150 * 1024, net.bytes);
  check('no request to another origin', net.foreign.length === 0, net.foreign);
  check('no console error, CSP violation or script error', net.problems.length === 0, net.problems);
  // an inline script slipped into the page would not run
  const inlineRan = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.inlineRan = true';
    document.head.append(s);
    return window.inlineRan === true;
  });
  check('the CSP blocks inline script', !inlineRan);
  await shot(page, 'landing');
  await accessible(page, 'the landing page');
  figures.push(`landing page ${(net.bytes / 1024).toFixed(1)} KB in ${net.requests.length} requests`);
  check('the note for browsers that cannot run the page is gone once it runs', (await page.locator('.boot-stuck').count()) === 0);

  // a printer the service does not know (a typo in the address): the page
  // says so and offers no form that could only fail
  for (const [path, form] of [['/r/nosuch', 'Log in'], ['/panel/nosuch', 'Enroll this panel']]) {
    const u = await openPage(browser, origin, { viewport: { width: 800, height: 480 } });
    await u.page.goto(`${origin}${path}`);
    const said = await waitFor(async () => (await text(u.page, '.messages')).includes('This printer is not known'));
    check(`${path}: the page says the printer is unknown`, said);
    check(`${path}: and shows no form`, said && (await u.page.getByRole('button', { name: form }).count()) === 0 &&
      (await u.page.locator('input').count()) === 0, await text(u.page, 'main'));
    if (path === '/panel/nosuch') await shot(u.page, 'kiosk-unknown-printer');
    await u.context.close();
  }

  // a printer panel's older browser (before Chromium 86: no replaceChildren)
  // still gets the login form
  const old = await openPage(browser, origin, { viewport: { width: 800, height: 480 } });
  await old.context.addInitScript(() => { delete Element.prototype.replaceChildren; });
  await old.page.goto(`${origin}/r/printer1`);
  check('without replaceChildren the release page still shows its login form',
    await waitFor(async () => (await old.page.getByRole('button', { name: 'Log in' }).count()) === 1));
  check('without replaceChildren no script error', old.net.problems.length === 0, old.net.problems);
  await old.context.close();

  // a browser that cannot run the page's modules: the page says so and what
  // it needs instead of staying on a bare heading
  const none = await openPage(browser, origin, { viewport: { width: 800, height: 480 } });
  await none.page.route('**/assets/app.js', (r) => r.abort());
  await none.page.goto(`${origin}/panel/printer1`);
  const stuck = none.page.locator('.boot-stuck');
  check('a page whose script cannot run says the browser is too old, and which it needs',
    await waitFor(async () => (await stuck.isVisible()) && /JavaScript modules.*Chromium 69/.test(await stuck.innerText()), 15000));
  await shot(none.page, 'landing-browser-too-old');
  await accessible(none.page, 'the note for a browser too old');
  await none.context.close();
});
