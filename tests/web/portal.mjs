// The user portal end to end against the whole stack (tests/web/run.sh):
// alice signs in with a one-time sign-in link (POST /api/v1/sign-in-links,
// issue 14's slice 1), sees the jobs she printed at her workstation held,
// deletes one (with the confirmation), adds a delegation, and sees the
// stack's printers with their release pages. bob, signed in the same way,
// cannot see or delete alice's jobs through the API the page calls, and a
// cookie without the CSRF token changes nothing. Page weight and axe on
// each page, no request to another origin.

import https from 'node:https';
import { readFileSync } from 'node:fs';
import { runTest, openPage, shot, accessible, check, waitFor, text, mark } from './harness.mjs';
import { env, submit, cloudJobs, logCalls, writeCallLog } from './common.mjs';

const cloud = new URL(env.SR_CLOUD_URL).origin;
const ca = readFileSync(env.SR_CLOUD_CA);
const adminToken = readFileSync(env.SR_TOKEN_FILE, 'utf8').split('\n')[0].trim();
const KB = 1024;

// One call to the cloud's API from outside the browser (the admin token).
function api(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(`${cloud}${path}`, {
      method, ca, headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
    }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: data ? JSON.parse(data) : null }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

// A browser context signed in as `email` through a one-time link.
async function signIn(browser, email, viewport) {
  const link = await api('POST', '/api/v1/sign-in-links', { email, role: 'user' });
  if (!check(`a sign-in link is made for ${email}`, link.status === 201 && link.body.url, link)) throw new Error('no sign-in link');
  const p = await openPage(browser, cloud, { viewport });
  logCalls(p.context); // for console_api_coverage
  await p.page.goto(link.body.url);
  // the link page redeems the token, then goes to the portal itself: a
  // navigation of the test's own before that would cut it short
  await p.page.waitForURL((u) => u.pathname.startsWith('/portal'), { timeout: 15000 });
  const cookie = await waitFor(async () => (await p.context.cookies(cloud)).find((c) => c.name === '__Host-sr_session'));
  check(`${email}: the link sets the session cookie (HttpOnly, Secure, SameSite=Strict)`,
    cookie && cookie.httpOnly && cookie.secure && cookie.sameSite === 'Strict', cookie);
  return p;
}

// The portal's own API calls, as the page makes them, from context `p`.
async function pageApi(p, method, path, { csrf = true } = {}) {
  return p.page.evaluate(async ({ method, path, csrf }) => {
    const s = await (await fetch('/api/v1/session')).json();
    const res = await fetch(`/api/v1${path}`, { method, headers: csrf ? { 'X-CSRF-Token': s.csrf } : {} });
    return { status: res.status, body: res.status === 204 ? null : await res.json().catch(() => null) };
  }, { method, path, csrf });
}

await runTest(async (browser, figures) => {
  // alice's jobs, from her workstation
  const titles = ['Portal kept', 'Portal deleted'];
  for (const t of titles) submit(env.QUEUE_ALICE, t);
  const held = await waitFor(() => titles.every((t) => cloudJobs().some((j) => j.title === t && j.state === 'held')), 30000);
  check('the workstation\'s jobs are held in the cloud', held);
  const aliceJobs = cloudJobs().filter((j) => titles.includes(j.title));

  for (const [size, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]]) {
    const alice = await signIn(browser, env.DEMO_EMAIL, viewport);
    const { page, net } = alice;
    net.bytes = 0;
    await page.goto(`${cloud}/portal/`);
    const listed = await waitFor(async () => {
      const shown = await text(page, '#jobs');
      return titles.every((t) => shown.includes(t));
    });
    check(`${size}: alice sees her held jobs`, listed, await text(page, '#jobs'));
    check(`${size}: the portal is ready`, (await waitFor(() => mark(page, 'portal'))) !== null);
    const releaseHref = await page.getByRole('link', { name: /Release at this printer: / }).first().getAttribute('href');
    const devices = (await api('GET', '/api/v1/devices')).body.devices;
    check(`${size}: the stack's printer is listed with its release page, as its label has it`,
      releaseHref && devices.some((d) => d.release_url === releaseHref && releaseHref.endsWith(`/r/${d.id}`)), { releaseHref, devices });
    check(`${size}: at most 300 KB transferred`, net.bytes <= 300 * KB, net.bytes);
    check(`${size}: no request to another origin`, net.foreign.length === 0, net.foreign);
    check(`${size}: no console error, CSP violation or script error`, net.problems.length === 0, net.problems);
    figures.push(`portal home (${size}): ${(net.bytes / KB).toFixed(1)} KB in ${net.requests.length} requests`);
    await shot(page, `portal-${size}`);
    await accessible(page, `the portal (${size})`);
    if (size === 'desktop') {
      // delete one, through the confirmation
      await page.getByRole('button', { name: 'Delete Portal deleted' }).click();
      await page.getByRole('button', { name: 'Delete it' }).click();
      check('the deleted job leaves the list', await waitFor(async () => (await page.getByRole('button', { name: 'Delete Portal deleted' }).count()) === 0 &&
        (await page.getByRole('button', { name: 'Delete Portal kept' }).count()) === 1));
      check('and the page says so', (await text(page, '#jobs')).includes('“Portal deleted” was deleted.'), await text(page, '#jobs'));
      check('the cloud has it deleted', await waitFor(() => cloudJobs().some((j) => j.title === 'Portal deleted' && j.state === 'deleted')));
      // a delegation to carol
      await page.getByLabel('Colleague’s email').fill('carol@example.com');
      await page.getByRole('button', { name: 'Allow' }).click();
      check('the delegation is listed', await waitFor(async () => (await text(page, '#delegations')).includes('carol@example.com may release your jobs')));
      const d = await api('GET', '/api/v1/delegations');
      check('the cloud has alice\'s delegation to carol', d.body.delegations.some((x) => x.owner === env.DEMO_EMAIL && x.delegate === 'carol@example.com'), d.body);
      await shot(page, 'portal-after-changes');
      await page.goto(`${cloud}/portal/upload`);
      await page.locator('h1').waitFor();
      await shot(page, 'portal-upload');
      await accessible(page, 'the upload page');
    }
    await alice.context.close();
  }

  // bob: none of alice's jobs, through the API the page calls
  const bob = await signIn(browser, 'bob@example.com', { width: 1280, height: 800 });
  await bob.page.goto(`${cloud}/portal/`);
  await bob.page.locator('#jobs').waitFor();
  const bobList = await pageApi(bob, 'GET', '/me/jobs?limit=200');
  check('bob\'s job list has none of alice\'s jobs', bobList.status === 200 && !bobList.body.jobs.some((j) => aliceJobs.some((a) => a.id === j.id)), bobList);
  const kept = aliceJobs.find((j) => j.title === 'Portal kept');
  const steal = await pageApi(bob, 'DELETE', `/me/jobs/${encodeURIComponent(kept.id)}`);
  check('bob deleting alice\'s job: 404, as if it did not exist', steal.status === 404, steal);
  const noCsrf = await pageApi(bob, 'DELETE', `/me/jobs/${encodeURIComponent(kept.id)}`, { csrf: false });
  check('a DELETE with the cookie but no CSRF token: 403', noCsrf.status === 403, noCsrf);
  check('alice\'s job is still held', cloudJobs().some((j) => j.id === kept.id && j.state === 'held'));
  const aliceDelegs = await pageApi(bob, 'GET', '/me/delegations');
  const carol = aliceDelegs.body.delegations.find((x) => x.delegate === 'carol@example.com');
  check('bob does not see alice\'s delegation to carol', !carol, aliceDelegs.body);
  const all = await api('GET', '/api/v1/delegations');
  const toCarol = all.body.delegations.find((x) => x.owner === env.DEMO_EMAIL && x.delegate === 'carol@example.com');
  const revoke = await pageApi(bob, 'DELETE', `/me/delegations/${toCarol.id}`);
  check('bob revoking alice\'s delegation: 404', revoke.status === 404, revoke);
  await bob.context.close();

  // signed out: the portal's API answers 401, and the page offers to sign in
  const anon = await openPage(browser, cloud, { viewport: { width: 390, height: 844 } });
  await anon.page.goto(`${cloud}/portal/`);
  check('signed out: the page offers to sign in', await waitFor(async () => (await anon.page.getByRole('link', { name: 'Sign in' }).count()) === 1));
  const anonJobs = await anon.page.evaluate(async () => (await fetch('/api/v1/me/jobs')).status);
  check('signed out: /api/v1/me/jobs answers 401', anonJobs === 401, anonJobs);
  await anon.context.close();
  writeCallLog();
});
