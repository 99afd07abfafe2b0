// The kiosk layout (/panel/DEVICE) on a printer's 800x480 touch screen,
// with the CPU slowed 6x, against the real stack (tests/web/run.sh): the
// panel enrolls once with a token from `srctl reader add`; a USB card
// reader's swipe (the card number typed as keys, then Enter) logs in and
// shows the jobs within 1 s of the last key; "Print all" prints them
// byte-identical and logs out; the PIN pad logs in; an idle panel logs
// out by itself after warning; an unknown card is told so. Large targets,
// no hover styles, axe clean, at most 150 KB. Then the rotating code end
// to end, nothing stubbed: the kiosk shows the site's code as a QR code
// (read back from a screenshot by zbarimg) and a new one before it runs
// out (the page's clock moved on); with the tenant on rotating codes only a
// phone opens the scanned URL, logs in and releases a job that reaches the
// printer byte-identical, while the static address and a code that ran
// out are refused; back on `both`, the QR code of `srctl device label`'s
// PDF opens that printer's release page.

import { runTest, openPage, shot, accessible, check, waitFor, text, mark, outDir } from './harness.mjs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { env, origin, submit, heldTitles, printed, fileName, srctl, decodeQr, releaseCode, releaseCodes } from './common.mjs';

const PANEL = { width: 800, height: 480 };
const PHONE = { width: 390, height: 844 };
const KB = 1024;
const IDLE_S = 20;

await runTest(async (browser, figures) => {
  const added = JSON.parse(srctl('reader', 'add', '--device', 'printer1', '--name', 'Panel of printer1', '--json'));
  const { page, net, context } = await openPage(browser, origin, { viewport: PANEL, throttle: 6 });
  await page.goto(`${origin}/panel/printer1?idle=${IDLE_S}`);

  // 1. enrollment, once
  await page.getByLabel('Enrollment token').waitFor();
  await page.waitForLoadState('networkidle');
  figures.push(`kiosk page, 800x480, CPU 6x slower: ${(net.bytes / KB).toFixed(1)} KB in ${net.requests.length} requests`);
  check('the kiosk page transferred at most 150 KB', net.bytes <= 150 * KB, net.bytes);
  await shot(page, 'kiosk-1-enroll');
  await accessible(page, 'the kiosk enrollment form');
  await page.getByLabel('Enrollment token').fill(added.enrollment_token);
  await page.getByRole('button', { name: 'Enroll this panel' }).click();
  await page.getByRole('heading', { name: 'Swipe your card' }).waitFor();
  const cred = await page.evaluate(() => localStorage.getItem('sr.panel.credential.printer1'));
  check('enrolled: the credential is kept in localStorage', typeof cred === 'string' && cred.length === 43, cred);
  check('the panel says it is enrolled', (await text(page, '.messages')).includes('enrolled'));
  await shot(page, 'kiosk-2-swipe');
  await accessible(page, 'the kiosk login screen');

  // the layout: no hover styles, big targets
  const hover = await page.evaluate(() => [...document.styleSheets].flatMap((s) => [...s.cssRules])
    .filter((r) => r.selectorText && r.selectorText.includes(':hover')).length);
  check('no hover styles (a touch screen has no hover)', hover === 0, hover);
  const small = await page.evaluate(() => [...document.querySelectorAll('button')].map((b) => b.getBoundingClientRect())
    .filter((r) => r.height > 0 && (r.height < 48 || r.width < 48)).length);
  check('every button is at least 48x48 pixels', small === 0, small);

  // 2. a card swipe: the reader types the number and Enter
  for (const t of ['Kiosk one', 'Kiosk two']) submit(env.QUEUE_ALICE, t);
  check('two jobs held', await waitFor(() => heldTitles().length === 2, 20000), heldTitles());
  await page.keyboard.type(env.DEMO_CARD, { delay: 15 });
  await page.keyboard.press('Enter');
  await page.locator('li.job').nth(1).waitFor();
  await page.getByRole('button', { name: 'Print all (2)' }).waitFor();
  const swipeToJobs = (await waitFor(() => mark(page, 'jobs'))) - (await mark(page, 'swipe'));
  figures.push(`kiosk, CPU 6x slower: the jobs usable ${swipeToJobs} ms after the swipe's last key`);
  check('a swipe shows the jobs within 1 s of its last key (CPU 6x slower)', swipeToJobs >= 0 && swipeToJobs <= 1000, swipeToJobs);
  check('logged in as Alice Demo', (await text(page, '.userbar')).includes('Alice Demo'));
  await shot(page, 'kiosk-3-jobs');
  await accessible(page, 'the kiosk job list');
  const smallJobs = await page.evaluate(() => [...document.querySelectorAll('button, input[type=checkbox]')].map((b) => b.getBoundingClientRect())
    .filter((r) => r.height > 0 && r.height < 32).length);
  check('the job list\'s targets are large', smallJobs === 0, smallJobs);

  // 3. print all: both byte-identical, then logged out by itself
  await page.getByRole('button', { name: 'Print all (2)' }).click();
  // the default print_all_logout (5 s): a countdown while the jobs start
  check('after "Print all" a countdown says the panel logs out in a few seconds',
    await waitFor(async () => /Logging out in [1-5] s/.test(await text(page, '.messages')), 3000), await text(page, '.messages'));
  check('both documents reached the printer byte-identical', await waitFor(() => printed().length === 2, 30000) &&
    printed().map((p) => p.name).sort().join() === [fileName('Kiosk one'), fileName('Kiosk two')].sort().join(), printed().map((p) => p.name));
  await shot(page, 'kiosk-4-print-all');
  check('after "Print all" the panel logs out by itself', await waitFor(async () => (await page.getByRole('heading', { name: 'Swipe your card' }).count()) === 1, 20000));
  check('and says the jobs are on their way', (await text(page, '.messages')).includes('You have been logged out'), await text(page, '.messages'));

  // 4. the PIN pad
  await page.getByRole('button', { name: 'Email and PIN' }).click();
  await page.getByLabel('Email', { exact: true }).fill(env.DEMO_EMAIL);
  for (const d of env.DEMO_PIN) await page.getByRole('group', { name: 'PIN pad' }).getByRole('button', { name: d, exact: true }).click();
  check('the PIN pad fills the PIN', (await page.getByLabel('PIN', { exact: true }).inputValue()) === env.DEMO_PIN);
  await shot(page, 'kiosk-5-pin-pad');
  await accessible(page, 'the kiosk PIN pad');
  // the page's clock from here on, stopped: the idle time is moved through
  // a second at a time, not waited for
  await page.clock.install();
  await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
  await page.getByRole('button', { name: 'Log in' }).click();
  check('PIN pad login: the (empty) job list', await waitFor(async () => (await text(page, '.empty')) === 'No print jobs are waiting for you.'));

  // 5. idle: a warning, then logged out without a touch, after IDLE_S
  // seconds of the page's clock (moved on a second at a time)
  const swipeScreen = async () => (await page.getByRole('heading', { name: 'Swipe your card' }).count()) === 1;
  let idle = 0;
  while (idle < IDLE_S && !/logging out in \d+ s/.test(await text(page, '.messages'))) {
    await page.clock.runFor(1000);
    idle += 1;
  }
  check('an idle panel warns before logging out, still logged in', idle < IDLE_S && !(await swipeScreen()), [idle, await text(page, '.messages')]);
  await shot(page, 'kiosk-6-idle-warning');
  while (idle < IDLE_S + 2 && !(await swipeScreen())) {
    await page.clock.runFor(1000);
    idle += 1;
  }
  check(`then logs out by itself after ${IDLE_S} s without a touch`, (await swipeScreen()) && idle === IDLE_S, idle);
  await page.clock.resume();

  // 6. a card nobody has
  await page.keyboard.type('99999999', { delay: 15 });
  await page.keyboard.press('Enter');
  check('an unknown card is told so', await waitFor(async () => (await text(page, '.messages')).includes('This card is not registered yet')));
  await shot(page, 'kiosk-7-unknown-card');
  check('no request of the page went to another origin', net.foreign.length === 0, net.foreign);
  check('no console error, CSP violation or script error', net.problems.length === 0, net.problems);

  // 7. the unknown card is bound by the next login in another way
  await page.getByRole('button', { name: 'Email and PIN' }).click();
  await page.getByLabel('Email', { exact: true }).fill(env.DEMO_EMAIL);
  for (const d of env.DEMO_PIN) await page.getByRole('group', { name: 'PIN pad' }).getByRole('button', { name: d, exact: true }).click();
  await page.getByRole('button', { name: 'Log in' }).click();
  check('the next login registers the card', await waitFor(async () => (await text(page, '.messages')).includes('Your card is now registered')));
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Swipe your card' }).waitFor();
  await page.keyboard.type('99999999', { delay: 15 });
  await page.keyboard.press('Enter');
  check('from then on that card logs alice in', await waitFor(async () => (await text(page, '.userbar')).includes('Alice Demo')));
  await page.getByRole('button', { name: 'Log out' }).click();

  // 8. the 1024x600 panel
  await page.getByRole('heading', { name: 'Swipe your card' }).waitFor();
  await page.setViewportSize({ width: 1024, height: 600 });
  await shot(page, 'kiosk-1024-swipe');
  check('1024x600: nothing needs sideways scrolling', await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
  await context.close();

  // 9. the rotating code, from the real site service: the kiosk shows it
  // as a QR code that decodes to its release URL, and asks for a new one
  // before it runs out, when it said (the page's clock moved on, not waited for)
  srctl('device', 'set', 'printer1', '--location', '2nd floor');
  const k = await openPage(browser, origin, { viewport: PANEL });
  await k.context.addInitScript((c) => localStorage.setItem('sr.panel.credential.printer1', c), cred);
  await k.page.clock.install();
  const answers = []; // the site's answers to GET kiosk/code, in order
  k.page.on('response', async (res) => {
    if (!res.url().endsWith('/api/v1/panel/kiosk/code')) return;
    const auth = (await res.request().allHeaders()).authorization;
    const at = Date.now();
    answers.push({ status: res.status(), auth, at, body: await res.json().catch(() => null), pageTime: await k.page.evaluate(() => Date.now()).catch(() => 0) });
  });
  await k.page.goto(`${origin}/panel/printer1`);
  const img = k.page.getByRole('img', { name: /QR code/ });
  await img.waitFor();
  check('the heading names the printer and where it is (the site\'s device info)',
    (await text(k.page, 'header')).includes('Demo Printer') && (await text(k.page, 'header')).includes('2nd floor'), await text(k.page, 'header'));
  check('the kiosk asked for its code with its credential, and the site gave one (200)',
    answers.length === 1 && answers[0].auth === `Bearer ${cred}` && answers[0].status === 200, answers.map((a) => a.status));
  const first = answers[0].body || {};
  const answeredAt = Math.floor(answers[0].at / 1000);
  const expiry = Number(String(first.code).split('.')[0]);
  check('the code runs out a minute after it was made', expiry >= answeredAt + 57 && expiry <= answeredAt + 61, [first.code, answeredAt]);
  const qrPng = await shot(k.page, 'kiosk-8-rotating-code');
  const onScreen = decodeQr(qrPng);
  const codeUrl = `${first.url}`;
  check('the QR code on the screen decodes (zbarimg) to the release URL of printer1 with that code',
    onScreen.length === 1 && onScreen[0] === codeUrl && new URL(codeUrl).pathname === `/r/printer1/${first.code}`, onScreen);
  const note = await text(k.page, '.qrnote');
  const nextIn = Number((/^New code in (\d+) s$/.exec(note) || [])[1]);
  check('the kiosk says when the next code comes', nextIn > 0, note);
  await accessible(k.page, 'the kiosk login screen with its QR code');
  await k.page.clock.fastForward(nextIn * 1000);
  check('a new code comes before this one runs out', await waitFor(() => answers.length >= 2 && answers[1].body, 10000) &&
    answers[1].status === 200 && answers[1].pageTime / 1000 < expiry, answers.map((a) => [a.status, a.pageTime]));
  // (the page's time at each answer: within a few seconds of what it said,
  // far from the minute a code lasts)
  check('when the kiosk said it would', answers.length >= 2 && Math.abs(answers[1].pageTime - answers[0].pageTime - nextIn * 1000) <= 3000,
    answers.map((a) => a.pageTime));
  const second = answers.length >= 2 && answers[1].body ? answers[1].body : {};
  check('and the screen shows it', await waitFor(async () => decodeQr(await shot(k.page, 'kiosk-9-next-code'))[0] === second.url, 10000), second.url);

  // 10. the tenant takes rotating codes only; a phone scans the kiosk's
  // screen, logs in through that code and releases a job
  check('srctl settings set release_codes=rotating', releaseCodes('rotating'));
  try {
    submit(env.QUEUE_ALICE, 'Scanned at the kiosk');
    check('a job held for the phone', await waitFor(() => heldTitles().includes('Scanned at the kiosk'), 20000), heldTitles());
    const scanned = decodeQr(await shot(k.page, 'kiosk-10-code-to-scan'))[0] || '';
    const codeOrigin = scanned ? new URL(scanned).origin : origin;
    const ph = await openPage(browser, codeOrigin, { viewport: PHONE });
    await ph.page.goto(scanned);
    await ph.page.getByLabel('Email', { exact: true }).fill(env.DEMO_EMAIL);
    await ph.page.getByLabel('PIN', { exact: true }).fill(env.DEMO_PIN);
    await shot(ph.page, 'phone-code-1-login');
    await accessible(ph.page, 'the release page opened through a rotating code (phone)');
    await ph.page.getByRole('button', { name: 'Log in' }).click();
    check('the site takes the code: logged in, the job listed', await waitFor(async () => (await text(ph.page, '.userbar')).includes('Alice Demo') &&
      (await ph.page.getByRole('button', { name: 'Print Scanned at the kiosk' }).count()) === 1), await text(ph.page, '.messages'));
    await shot(ph.page, 'phone-code-2-jobs');
    await accessible(ph.page, 'the job list opened through a rotating code (phone)');
    const before = printed().length;
    await ph.page.getByRole('button', { name: 'Print Scanned at the kiosk' }).click();
    check('the job reaches the printer byte-identical', await waitFor(() => printed().length === before + 1, 30000) &&
      printed()[before].name === fileName('Scanned at the kiosk'), printed().map((p) => p.name));
    check('the phone shows it printed', await waitFor(async () => (await text(ph.page, 'li.job .state')) === 'Printed', 20000));
    await shot(ph.page, 'phone-code-3-printed');
    check('the phone page asked nothing of another origin', ph.net.foreign.length === 0, ph.net.foreign);
    check('no console error, CSP violation or script error on the phone', ph.net.problems.length === 0, ph.net.problems);
    await ph.context.close();

    // the printer's static address logs no one in now
    const st = await openPage(browser, origin, { viewport: PHONE });
    await st.page.goto(`${origin}/r/printer1`);
    check('rotating codes only: the static address asks to scan the code on the screen, no login form',
      await waitFor(async () => (await text(st.page, '.view')).includes('Scan the code shown on the printer') &&
        (await st.page.getByRole('button', { name: 'Log in' }).count()) === 0), await text(st.page, '.view'));
    await shot(st.page, 'phone-rotating-only');
    await accessible(st.page, 'the static address when the tenant takes rotating codes only (phone)');
    await st.context.close();

    // a code that ran out a minute ago (a photo of the screen, say)
    const stale = releaseCode('printer1', Math.floor(Date.now() / 1000) - 60);
    const ex = await openPage(browser, codeOrigin, { viewport: PHONE });
    await ex.page.goto(`${codeOrigin}/r/printer1/${stale}`);
    await ex.page.getByLabel('Email', { exact: true }).fill(env.DEMO_EMAIL);
    await ex.page.getByLabel('PIN', { exact: true }).fill(env.DEMO_PIN);
    await ex.page.getByRole('button', { name: 'Log in' }).click();
    check('an expired code is refused with a clear message', await waitFor(async () =>
      (await text(ex.page, '.messages [role=alert]')) === 'That code has expired. Scan the code on the printer’s screen again.'), await text(ex.page, '.messages'));
    check('the spent code leaves the page: the printer\'s address, asking to scan again, no login form',
      await waitFor(async () => ex.page.url() === `${codeOrigin}/r/printer1` && (await ex.page.getByRole('button', { name: 'Log in' }).count()) === 0 &&
        (await text(ex.page, '.view')).includes('Scan the code shown on the printer')), [ex.page.url(), await text(ex.page, '.view')]);
    check('and no session: no job list, nothing kept in the tab', (await ex.page.locator('.userbar').count()) === 0 &&
      await ex.page.evaluate(() => sessionStorage.getItem('sr.session') === null));
    check('the site refused it (401 code_expired)', ex.net.failed.includes('401 /api/v1/panel/sessions'), ex.net.failed);
    await shot(ex.page, 'phone-code-expired');
    await accessible(ex.page, 'an expired code refused (phone)');
    await ex.context.close();
  } finally {
    releaseCodes('both');
  }
  await k.context.close();

  // 11. the printer's label (srctl device label): its QR code, printed on
  // paper, opens the release page of that printer on a phone
  const pdf = join(outDir, 'label-printer1.pdf');
  check('srctl device label printer1 writes a PDF (the tenant back on both)',
    await waitFor(() => { srctl('device', 'label', 'printer1', '--out', pdf); return true; }, 15000));
  execFileSync('pdftoppm', ['-r', '200', '-png', '-singlefile', pdf, join(outDir, 'label-printer1')]);
  const onLabel = decodeQr(join(outDir, 'label-printer1.png'));
  check('the label\'s QR code decodes to the static release URL of printer1', onLabel.length === 1 && new URL(onLabel[0]).pathname === '/r/printer1', onLabel);
  const lb = await openPage(browser, onLabel[0] ? new URL(onLabel[0]).origin : origin, { viewport: PHONE });
  await lb.page.goto(onLabel[0] || `${origin}/r/printer1`);
  await lb.page.getByRole('button', { name: 'Log in' }).waitFor();
  check('the label opens the release page of printer1, with the login form',
    await waitFor(async () => (await text(lb.page, 'h1')) === 'Print at Demo Printer' && (await text(lb.page, 'header')).includes('2nd floor')), await text(lb.page, 'header'));
  await shot(lb.page, 'phone-label');
  await accessible(lb.page, 'the release page opened from the label (phone)');
  await lb.context.close();

  // the enrollment screen names this printer's command, whole
  const e = await openPage(browser, origin, { viewport: PANEL });
  await e.page.goto(`${origin}/panel/printer1`);
  await e.page.getByLabel('Enrollment token').waitFor();
  check('the enrollment screen gives the command for this printer',
    (await text(e.page, 'code.command')) === 'srctl reader add --device printer1 --name "Panel of printer1"', await text(e.page, 'code.command'));
  check('the command is on one line at 800x480', await e.page.evaluate(() => {
    const c = document.querySelector('code.command');
    if (!c) return false;
    return c.getClientRects().length === 1 && c.scrollHeight < 2 * parseFloat(getComputedStyle(c).lineHeight || '20');
  }));
  await e.context.close();

  // a code that no longer counts (the site answers code_expired alike for
  // expired and forged ones): with static labels allowed (the stack's
  // tenant: both) the page drops it and the next login works without it
  const x = await openPage(browser, origin, { viewport: { width: 390, height: 844 } });
  await x.page.goto(`${origin}/r/printer1/1000.AbCdEfGhIjKlMnOpQrStUv`);
  const logInPin = async (pg) => {
    await pg.getByRole('textbox', { name: 'Email' }).fill(env.DEMO_EMAIL);
    await pg.getByLabel('PIN', { exact: true }).fill(env.DEMO_PIN);
    await pg.getByRole('button', { name: 'Log in' }).click();
  };
  await logInPin(x.page);
  check('an expired code says so and that logging in again works here',
    await waitFor(async () => (await text(x.page, '.messages')).includes('That code has expired') && (await text(x.page, '.messages')).includes('log in again here')),
    await text(x.page, '.messages'));
  check('the address no longer carries the code', new URL(x.page.url()).pathname === '/r/printer1', x.page.url());
  await logInPin(x.page);
  check('the next login, without the code, logs alice in', await waitFor(async () => (await text(x.page, '.userbar')).includes('Alice Demo')));
  await x.context.close();

  // with rotating codes only, an expired code leaves nothing to retry:
  // the page asks to scan again and shows no form
  srctl('settings', 'set', 'release_codes=rotating');
  try {
    const y = await openPage(browser, origin, { viewport: { width: 390, height: 844 } });
    await y.page.goto(`${origin}/r/printer1/1000.AbCdEfGhIjKlMnOpQrStUv`);
    await logInPin(y.page);
    check('rotating only: an expired code asks to scan again, with no form left',
      await waitFor(async () => (await text(y.page, '.messages')).includes('That code has expired') &&
        (await text(y.page, '.view')).includes('Scan the code shown on the printer') && (await y.page.getByRole('button', { name: 'Log in' }).count()) === 0),
      await text(y.page, 'main'));
    await shot(y.page, 'phone-code-expired-rotating');
    await accessible(y.page, 'an expired code, rotating codes only');
    await y.context.close();
  } finally {
    srctl('settings', 'set', 'release_codes=both');
  }

  // a panel left unenrolled when the tenant turns to rotating codes only:
  // a swipe there cannot log in, and the panel asks for its token
  const u = await openPage(browser, origin, { viewport: PANEL });
  await u.page.goto(`${origin}/panel/printer1`);
  await u.page.getByRole('button', { name: 'Continue without enrolling' }).click();
  await u.page.getByRole('heading', { name: 'Swipe your card' }).waitFor();
  srctl('settings', 'set', 'release_codes=rotating');
  try {
    await u.page.keyboard.type(env.DEMO_CARD, { delay: 15 });
    await u.page.keyboard.press('Enter');
    check('an unenrolled panel under rotating codes asks for its enrollment token',
      await waitFor(async () => (await u.page.getByLabel('Enrollment token').count()) === 1 &&
        (await text(u.page, '.messages')).includes('only at an enrolled panel')), await text(u.page, 'main'));
    await shot(u.page, 'kiosk-unenrolled-rotating');
    await accessible(u.page, 'an unenrolled panel under rotating codes');
    const fresh = await openPage(browser, origin, { viewport: PANEL });
    await fresh.page.goto(`${origin}/panel/printer1`);
    await fresh.page.getByLabel('Enrollment token').waitFor();
    check('under rotating codes the enrollment screen offers no "Continue without enrolling"',
      await waitFor(async () => (await fresh.page.getByRole('button', { name: 'Enroll this panel' }).count()) === 1 &&
        (await fresh.page.getByRole('button', { name: 'Continue without enrolling' }).count()) === 0));
    await fresh.context.close();

  } finally {
    srctl('settings', 'set', 'release_codes=both');
  }
  await u.context.close();
});
