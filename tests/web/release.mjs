// The release page on a phone (390x844), opened through a printer's QR
// address /r/DEVICE, against the real stack (tests/web/run.sh): log in by
// email and PIN, passcode and company (directory) account; the own and the
// delegated jobs with owner, title, time and pages; release one with
// copies, two-sided and colour (they reach the printer), follow its state
// live, delete one, print all (documents byte-identical at the printer),
// log out; a printer out of paper shows its reason; a lockout says how
// long. Every page: axe without serious or critical violations, no
// request to another origin, no CSP violation, at most 150 KB; with the
// CPU slowed 6x the job list is usable within 1 s of opening the page.
// A long list (60 more held jobs) comes a page at a time, newest first.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runTest, openPage, resetNet, shot, accessible, check, waitFor, text, mark } from './harness.mjs';
import { env, origin, submit, heldTitles, printed, hold, fileName, cloudJobs, scoutOnline } from './common.mjs';

const PHONE = { width: 390, height: 844 };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const KB = 1024;
// the page's own marks count from the moment it was opened (the browser's
// navigation start), and are taken after the next painted frame

await runTest(async (browser, figures) => {
  // jobs: three of alice's, one of bob's (who delegates to alice)
  for (const t of ['Quarterly report', 'Boarding pass', 'Travel expenses']) submit(env.QUEUE_ALICE, t);
  submit(env.QUEUE_BOB, 'Bob slides');
  check('four jobs held in the cloud', await waitFor(() => heldTitles().length === 4, 20000), heldTitles());

  // 1. open the QR address on a slow phone: the login form, light and clean
  const { page, net, context } = await openPage(browser, origin, { viewport: PHONE, throttle: 6 });
  await page.goto(`${origin}/r/printer1`);
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  const loginReady = await waitFor(() => mark(page, 'login'));
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return `document in ${Math.round(n.responseEnd)} ms, parsed ${Math.round(n.domInteractive)} ms, scripts run ${Math.round(n.domContentLoadedEventEnd)} ms`;
  });
  await page.waitForLoadState('networkidle');
  figures.push(`release page, phone, CPU 6x slower, first open (new renderer, new TLS connection): login form usable ${loginReady} ms (${nav}), ${(net.bytes / KB).toFixed(1)} KB in ${net.requests.length} requests`);
  check('the page transferred at most 150 KB', net.bytes <= 150 * KB, net.bytes);
  // opened again, as a phone or panel whose browser is running opens it
  // (the files revalidated, the scripts run anew): usable within 1 s
  // (the median of three opens)
  const again = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(`${origin}/r/printer1`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    again.push(await waitFor(() => mark(page, 'login')));
  }
  const loginAgain = median(again);
  figures.push(`release page, phone, CPU 6x slower, opened again: login form usable ${loginAgain} ms (median of ${again.join(', ')})`);
  check('the login form is usable within 1 s of opening (CPU 6x slower)', loginAgain <= 1000, again);
  check('the heading names the printer by its name (device info from the cloud)', (await text(page, 'h1')).includes('Demo Printer'), await text(page, 'h1'));
  await shot(page, 'phone-1-login');
  await accessible(page, 'the login form (phone)');

  // keyboard: the ways to log in, then email, PIN and the button, in order
  await page.keyboard.press('Tab');
  const order = [];
  for (let i = 0; i < 4; i++) {
    order.push(await page.evaluate(() => {
      const a = document.activeElement;
      return a.labels && a.labels[0] ? a.labels[0].textContent : a.textContent;
    }));
    await page.keyboard.press('Tab');
  }
  check('focus order: the chosen way to log in, Email, PIN, Log in', JSON.stringify(order) === JSON.stringify(['Email and PIN', 'Email', 'PIN', 'Log in']), order);

  // 2. email and PIN: the job list, own and delegated
  await page.getByLabel('Email', { exact: true }).fill(env.DEMO_EMAIL);
  await page.getByLabel('PIN', { exact: true }).fill(env.DEMO_PIN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('li.job').nth(3).waitFor();
  await page.getByRole('button', { name: /^Print all/ }).waitFor();
  const listReady = (await waitFor(() => mark(page, 'jobs'))) - (await mark(page, 'login-sent'));
  figures.push(`release page, phone, CPU 6x slower: job list usable ${listReady} ms after pressing Log in`);
  check('the job list is usable within 1 s of logging in (CPU 6x slower)', listReady <= 1000, listReady);
  const rows = await page.locator('li.job').allInnerTexts();
  const row = (title) => rows.find((r) => r.includes(title)) || '';
  check('four jobs listed with their titles', ['Quarterly report', 'Boarding pass', 'Travel expenses', 'Bob slides'].every((t) => row(t)), rows);
  check('own jobs say so; the delegated one names its owner', row('Quarterly report').includes('Yours') && row('Bob slides').includes('From Bob Example'), rows);
  check('each job shows its pages and when it was sent', rows.every((r) => /1 page/.test(r) && /Sent \S/.test(r)), rows);
  check('logged in as Alice Demo', (await text(page, '.userbar')).includes('Alice Demo'));
  check('the delegated job cannot be deleted here', (await page.locator('li.job', { hasText: 'Bob slides' }).getByRole('button', { name: /^Delete/ }).count()) === 0);
  await shot(page, 'phone-2-jobs');
  await accessible(page, 'the job list (phone)');

  // the token: not in the address, not a cookie, not in localStorage
  const store = await page.evaluate(() => ({ url: location.href, local: JSON.stringify(localStorage), session: sessionStorage.getItem('sr.session') }));
  const token = JSON.parse(store.session || '{}').token || '';
  check('the session token is kept for the tab only (sessionStorage)', token.length > 20);
  check('the token is in no URL, cookie or localStorage', !store.url.includes(token) && !store.local.includes(token) &&
    (await context.cookies()).length === 0 && !net.requests.some((u) => u.includes(token)));

  // reopening the page with the session: the job list within 1 s (the
  // median of three opens: the machine running the tests is shared)
  resetNet(net);
  const opens = [];
  let timings = '';
  for (let i = 0; i < 3; i++) {
    await page.goto(`${origin}/r/printer1`);
    await page.locator('li.job').nth(3).waitFor();
    await page.getByRole('button', { name: /^Print all/ }).waitFor();
    opens.push(await waitFor(() => mark(page, 'jobs')));
    timings += (i ? '; ' : '') + await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      const jobs = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/api/v1/panel/jobs'));
      return `scripts run ${Math.round(n.domContentLoadedEventEnd)} ms` + (jobs ? `, GET /jobs ${Math.round(jobs.startTime)}-${Math.round(jobs.responseEnd)} ms` : '');
    });
  }
  const reopened = median(opens);
  figures.push(`release page, phone, CPU 6x slower: job list usable ${reopened} ms (median of ${opens.join(', ')}) after opening the page (logged in; ${timings})`);
  check('the job list is usable within 1 s of opening the page (CPU 6x slower)', reopened <= 1000, opens);
  await page.evaluate(() => { window.notReloaded = true; });

  // 3. release one job with settings; its state follows without a reload
  hold(true);
  await page.getByText('Copies, sides and colour').click();
  await page.getByLabel('Copies').fill('2');
  await page.getByLabel('Sides').selectOption('two-sided-long-edge');
  await page.getByLabel('Colour', { exact: true }).selectOption('color');
  await page.getByRole('button', { name: 'Print Quarterly report' }).click();
  const quarterly = page.locator('li.job', { hasText: 'Quarterly report' }).locator('.state');
  check('the job shows "Printing…" while the printer works', await waitFor(async () => (await quarterly.innerText()).startsWith('Printing'), 20000), await quarterly.innerText());
  await shot(page, 'phone-3-printing');
  hold(false);
  check('then "Printed", without reloading the page', await waitFor(async () => (await quarterly.innerText()) === 'Printed', 20000) &&
    await page.evaluate(() => window.notReloaded === true), await quarterly.innerText());
  await shot(page, 'phone-4-printed');
  const first = printed();
  check('the printer got the document byte-identical', first.length === 1 && first[0].name === fileName('Quarterly report'), first.map((p) => p.name));
  const ipp = first.length ? first[0].env : '';
  check('with the settings chosen: 2 copies, two-sided, colour', /IPP_COPIES=2/.test(ipp) && /IPP_SIDES=two-sided-long-edge/.test(ipp) && /IPP_PRINT_COLOR_MODE=color/.test(ipp), ipp);
  await page.getByLabel('Copies').fill('');
  await page.getByLabel('Sides').selectOption('');
  await page.getByLabel('Colour', { exact: true }).selectOption('');

  // 4. delete one (asks first)
  await page.getByRole('button', { name: 'Delete Boarding pass' }).click();
  check('delete asks first', (await text(page, 'li.job .confirm')).includes('Boarding pass'));
  await shot(page, 'phone-5-confirm-delete');
  await page.locator('li.job', { hasText: 'Boarding pass' }).getByRole('button', { name: 'Delete', exact: true }).click();
  check('the job is gone from the list and the page says so', await waitFor(async () => (await page.locator('li.job', { hasText: 'Boarding pass' }).count()) === 0) &&
    (await text(page, '.messages')).includes('Deleted Boarding pass'));
  check('the cloud has it deleted', cloudJobs().some((j) => j.title === 'Boarding pass' && j.state === 'deleted'));

  // 5. print all: the own and the delegated job, byte-identical
  await page.getByRole('button', { name: 'Print all (2)' }).click();
  check('both printed at the printer, byte-identical', await waitFor(() => printed().length === 3, 30000) &&
    printed().slice(1).map((p) => p.name).sort().join() === [fileName('Bob slides'), fileName('Travel expenses')].sort().join(), printed().map((p) => p.name));
  check('both rows show "Printed"', await waitFor(async () => (await page.locator('li.job[data-state="printed"]').count()) === 3, 20000));
  await shot(page, 'phone-6-all-printed');

  // 6. log out
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  check('logged out: the login form and a message', (await text(page, '.messages')).includes('You have logged out'));
  check('the session is gone from the tab', await page.evaluate(() => sessionStorage.getItem('sr.session') === null));

  // 7. passcode, then the company account
  await page.getByText('Passcode', { exact: true }).click();
  await page.getByRole('textbox', { name: 'Passcode' }).fill(env.PASSCODE.toLowerCase());
  await page.getByRole('button', { name: 'Log in' }).click();
  check('passcode login: alice, no jobs left', await waitFor(async () => (await text(page, '.userbar')).includes('Alice Demo') &&
    (await text(page, '.empty')) === 'No print jobs are waiting for you.'));
  await shot(page, 'phone-7-no-jobs');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByText('Company account', { exact: true }).click();
  await page.getByLabel('Username').fill('erin');
  await page.getByLabel('Password').fill('Battery-Staple-9');
  await shot(page, 'phone-8-directory');
  await page.getByRole('button', { name: 'Log in' }).click();
  check('company account login: Erin Directory', await waitFor(async () => (await text(page, '.userbar')).includes('Erin Directory')));
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  check('no request of the page went to another origin', net.foreign.length === 0, net.foreign);
  check('no console error, CSP violation or script error', net.problems.length === 0, net.problems);
  check('no request of the page failed', net.failed.length === 0, net.failed);
  await context.close();

  // 8. a printer out of paper: the reason shows
  submit(env.QUEUE_ALICE, 'Paper test');
  check('the job is held', await waitFor(() => heldTitles().includes('Paper test'), 20000));
  const p2 = await openPage(browser, origin, { viewport: PHONE });
  await p2.page.goto(`${origin}/r/nopaper`);
  await p2.page.getByText('Passcode', { exact: true }).click();
  await p2.page.getByRole('textbox', { name: 'Passcode' }).fill(env.PASSCODE);
  await p2.page.getByRole('button', { name: 'Log in' }).click();
  await p2.page.getByRole('button', { name: 'Print Paper test' }).click();
  const paperState = p2.page.locator('li.job', { hasText: 'Paper test' }).locator('.state');
  check('the job says it was not printed, and why (no paper)', await waitFor(async () => /^Not printed: .*paper/i.test(await paperState.innerText()), 30000), await paperState.innerText());
  check('an alert names the job and the reason', /Paper test was not printed: .*paper/i.test(await text(p2.page, '.messages [role=alert]')), await text(p2.page, '.messages'));
  await shot(p2.page, 'phone-9-no-paper');
  await accessible(p2.page, 'a failed release (phone)');

  // 200 % zoom: a 1280-wide desktop at 200 % is 640 CSS pixels; nothing cut off sideways
  await p2.page.setViewportSize({ width: 640, height: 400 });
  check('at 200 % zoom the job list needs no sideways scrolling', await p2.page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
  await shot(p2.page, 'desktop-200pct-jobs');
  await p2.context.close();

  // 9. lockout: five wrong PINs, then the sixth attempt says how long
  const p3 = await openPage(browser, origin, { viewport: PHONE });
  await p3.page.goto(`${origin}/r/printer1`);
  await p3.page.getByLabel('Email', { exact: true }).fill('carol@example.com');
  const said = [];
  for (let i = 0; i < 6; i++) {
    await p3.page.getByLabel('PIN', { exact: true }).fill('9999');
    await p3.page.getByRole('button', { name: 'Log in' }).click();
    await p3.page.locator('.messages [role=alert]').waitFor();
    await p3.page.getByRole('button', { name: 'Log in' }).waitFor();
    said.push(await text(p3.page, '.messages'));
  }
  const locked = said[5];
  check('a wrong PIN says so', said.slice(0, 5).every((m) => m === 'The details you entered are not right. Check them and try again.'), said);
  check('the lockout says how long to wait', /Too many failed attempts\. Try again in \d+ (min|s)/.test(locked), locked);
  await shot(p3.page, 'phone-10-locked-out');
  await accessible(p3.page, 'the lockout message (phone)');

  // every error the API answers has a clear message of its own
  const messages = await p3.page.evaluate(async () => {
    const { errorText } = await import('/assets/errors.js');
    const codes = ['network', 'bad_credentials', 'card_unknown', 'locked_out', 'rate_limited', 'unknown_device', 'session_expired',
      'cloud_unreachable', 'site_not_enrolled', 'directory_unreachable', 'no_email', 'unsupported', 'presence_required', 'code_expired',
      'panel_unknown', 'reader_unknown', 'job_pin_required', 'job_pin_wrong', 'not_owner', 'not_held', 'not_found', 'oidc_not_configured'];
    return codes.map((code) => [code, errorText({ code, status: 400, message: '', retryAfter: 200 })]);
  });
  check('each API error code has its own sentence', messages.every(([, m]) => m && m.length > 20 && !/error 400/.test(m)) &&
    new Set(messages.map(([, m]) => m)).size === messages.length, messages);
  check('a lockout of 200 s reads "3 min 20 s"', messages.find(([c]) => c === 'locked_out')[1].includes('3 min 20 s'));
  await p3.context.close();

  // 10. the workstation holding a job is offline: the page says so
  submit(env.QUEUE_BOB, 'Bob offline');
  check('bob\'s new job is held', await waitFor(() => heldTitles().includes('Bob offline'), 20000));
  process.kill(Number(env.PID_BOB), 'SIGSTOP');
  try {
    check('the cloud sees bob\'s workstation offline', await waitFor(() => !scoutOnline('bobpc'), 30000));
    const p4 = await openPage(browser, origin, { viewport: PHONE });
    await p4.page.goto(`${origin}/r/printer1`);
    await p4.page.getByText('Passcode', { exact: true }).click();
    await p4.page.getByRole('textbox', { name: 'Passcode' }).fill(env.PASSCODE);
    await p4.page.getByRole('button', { name: 'Log in' }).click();
    await p4.page.getByRole('button', { name: 'Print Bob offline' }).click();
    const offline = p4.page.locator('li.job', { hasText: 'Bob offline' }).locator('.state');
    check('the job says its workstation is offline', await waitFor(async () => /^Not printed: .*offline/.test(await offline.innerText()), 20000), await offline.innerText());
    await shot(p4.page, 'phone-11-workstation-offline');
    await p4.context.close();
  } finally {
    process.kill(Number(env.PID_BOB), 'SIGCONT');
  }

  // 11. a long list: 60 more held jobs of alice's, sent over the last
  // days, come a page (50) at a time, newest first; "Print all" says that
  // more are held than shown; "Show older jobs" brings the rest
  execFileSync('python3', [join(env.SR_SRC, 'tests/support/seed_jobs.py'), join(env.SR_TMP, 'cloud/cloud.db'), env.SR_TENANT, '240', '5']);
  const p5 = await openPage(browser, origin, { viewport: PHONE });
  await p5.page.goto(`${origin}/r/printer1`);
  await p5.page.getByLabel('Email', { exact: true }).fill(env.DEMO_EMAIL);
  await p5.page.getByLabel('PIN', { exact: true }).fill(env.DEMO_PIN);
  await p5.page.getByRole('button', { name: 'Log in' }).click();
  await p5.page.locator('li.job').nth(49).waitFor();
  const firstPage = await p5.page.locator('li.job .jobtitle').allInnerTexts();
  const firstSeeded = firstPage.findIndex((t) => t.trim().startsWith('Seeded report'));
  check('the first page holds 50 jobs, newest first: those sent today before the seeded ones of the last days',
    firstPage.length === 50 && firstSeeded > 0 && firstPage.slice(firstSeeded).every((t) => t.trim().startsWith('Seeded report')), firstPage);
  const seededNumbers = firstPage.slice(firstSeeded).map((t) => Number(t.trim().replace('Seeded report ', '')));
  check('the seeded jobs in order, the newest first', seededNumbers.every((n, i) => i === 0 || n < seededNumbers[i - 1]), seededNumbers);
  check('"Print all" says more are held than shown', /^Print all \(50\+\)$/.test(await text(p5.page, '.actions button.primary')), await text(p5.page, '.actions button.primary'));
  const older = p5.page.getByRole('button', { name: 'Show older jobs' });
  await shot(p5.page, 'phone-12-long-list');
  await older.click();
  check('"Show older jobs" brings the rest, down to the oldest held one, then is gone',
    await waitFor(async () => (await p5.page.locator('li.job .jobtitle').allInnerTexts()).some((t) => t.trim() === 'Seeded report 3') && (await older.count()) === 0, 10000));
  const all = await p5.page.locator('li.job .jobtitle').allInnerTexts();
  check('no job twice, 60 seeded ones in all', new Set(all).size === all.length && all.filter((t) => t.trim().startsWith('Seeded report')).length === 60, all.length);
  await accessible(p5.page, 'the long job list (phone)');
  await p5.context.close();
});
