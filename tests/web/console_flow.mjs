// The console walk of web_console_admin (signed in through the cloud):
// what an administrator does and sees, checked as a user would, and
// measured.

import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { shot, accessible, check, waitFor, resetNet, mark } from './harness.mjs';
import { env, writeCallLog } from './common.mjs';

export const cloud = new URL(env.SR_CLOUD_URL).origin;
const token = () => execFileSync('cat', [env.SR_TOKEN_FILE], { encoding: 'utf8' }).trim();

async function visit(o, name) {
  resetNet(o.net);
  await freshLoad(o, name); // the page's whole weight: every file, no cache
  const shown = await waitFor(() => o.page.evaluate((n) => performance.getEntriesByName(`sr:${n}`).length > 0, name === 'jobs' ? 'jobs-page-1' : name));
  check(`the ${name} page shows`, shown);
  await o.page.waitForLoadState('networkidle');
  check(`${name}: at most 300 KB transferred`, o.net.bytes <= 300 * 1024, o.net.bytes);
  check(`${name}: nothing fetched from another origin`, o.net.foreign.length === 0, o.net.foreign);
  check(`${name}: no console error, CSP violation or script error`, o.net.problems.length === 0, o.net.problems);
  await accessible(o.page, `the ${name} page`);
  return o.net.bytes;
}

function srctl(...args) {
  return execFileSync(join(env.SR_BIN, 'srctl'), args, { encoding: 'utf8' });
}

// a printer the site's scan found, uploaded with the site's certificate
// as the site service does (tests/support/discovery_upload_tool.c)
function discoverPrinter() {
  const now = Math.floor(Date.now() / 1000);
  const result = { scan: { id: 'c0501e01', started_at: now - 60, finished_at: now, complete: false, addresses: 256, packets: 300 },
    devices: [{ address: '127.0.0.9', snmp: '127.0.0.9:16105', credential: 'office', version: '2c', kind: 'printer', driver: 'printer_mib',
      vendor: 'HP', model: 'LaserJet M507', serial: 'CNB7Q12345', sys_object_id: '1.3.6.1.4.1.11.2.3.9.1',
      sys_descr: 'HP ETHERNET MULTI-ENVIRONMENT', uris: ['socket://127.0.0.9:9100', 'ipps://127.0.0.9:631/ipp/print'] }] };
  const file = join(env.SR_TMP, 'console-discovery.json');
  writeFileSync(file, JSON.stringify(result));
  execFileSync(join(env.SR_BIN, 'discovery_upload_tool'), [env.SR_CLOUD_URL, env.SR_CLOUD_CA, join(env.SR_TMP, 'site/site.crt'), join(env.SR_TMP, 'site/site.key'), file]);
}

// Opens the console's PAGE as a new document with the browser's cache off.
async function freshLoad(o, page) {
  await o.cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await o.page.goto('about:blank');
  await o.page.goto(`${cloud}/console/#/${page}`);
}

// The whole walk through the console; open(browser) gives a fresh
// {page, net, context, cdp} on the cloud's origin, signed in as an
// administrator.
export async function consoleFlow(browser, figures, open) {
  discoverPrinter();
  // 100,000 jobs over the last 30 days (tests/support/seed_jobs.py): the
  // overview charts them, the jobs page pages them
  execFileSync('python3', [join(env.SR_SRC, 'tests/support/seed_jobs.py'), join(env.SR_TMP, 'cloud/cloud.db'), env.SR_TENANT, '100000']);
  const stats = JSON.parse(execFileSync('curl', ['-sf', '--cacert', env.SR_CLOUD_CA, '-H', `Authorization: Bearer ${token()}`, `${env.SR_CLOUD_URL}/api/v1/stats`], { encoding: 'utf8' }));
  const held30 = stats.per_day.reduce((a, d) => a + d.held, 0);
  const o = await open(browser);
  const { page } = o;
  const weights = {};

  // overview: figures and two charts with accessible names and tables
  weights.overview = await visit(o, 'overview');
  const charts = page.locator('svg.chart[role="img"]');
  check('the overview shows two charts', (await charts.count()) === 2);
  check('each chart has an accessible name', (await charts.evaluateAll((l) => l.map((s) => s.querySelector('title')?.textContent || ''))).every((x) => x.includes('per day')));
  check('the numbers of each chart are in a table too', (await page.locator('details.numbers table tbody tr').count()) === 60);
  check('it counts the scouts online (N of M)', /\d+ of \d+\s+Scouts online/.test(await page.locator('.tiles').first().innerText()));
  check(`the 30 days' held total is the cloud's (${held30})`, (await page.locator('.tiles').nth(1).innerText()).startsWith(`${held30.toLocaleString('en-US')}\n`), await page.locator('.tiles').nth(1).innerText());
  check('the jobs chart has a bar per day and series with data', (await page.locator('svg.chart').first().locator('rect.bar').count()) === 120);
  await shot(page, 'console-overview');

  // printers: accept the discovered one
  weights.printers = await visit(o, 'printers');
  await shot(page, 'console-printers');
  check('the stack printer is listed with its status', (await page.locator('article.card h3').allInnerTexts()).includes('Demo Printer'));
  const row = page.locator('tr', { hasText: '127.0.0.9' });
  check('the discovered printer is offered', (await row.count()) === 1);
  await row.getByLabel('Name').fill('Lobby printer');
  await row.getByRole('button', { name: 'Accept' }).click();
  check('accepted: it says so', await waitFor(async () => (await page.locator('.msg.ok').innerText().catch(() => '')).includes('Lobby printer accepted')));
  check('accepted: it is a printer now (cloud)', JSON.parse(srctl('device', 'list', '--json')).devices.some((d) => d.name === 'Lobby printer'));
  check('accepted: it is listed as a printer', await waitFor(async () => (await page.locator('article.card h3').allInnerTexts()).includes('Lobby printer')));

  // a printer's supply history, opened from its card: a chart, or says there is none yet
  await page.locator('summary', { hasText: 'Details of Demo Printer' }).click();
  const hist = page.locator('article.card', { hasText: 'Demo Printer' }).locator('details');
  check('the supply history opens (a chart with its title, or "no history yet")', await waitFor(async () =>
    (await hist.locator('svg.chart title').count()) === 1 || (await hist.innerText()).includes('No supply history reported yet')));
  figures.push(`printer1 supply history: ${(await hist.locator('svg.chart').count()) ? 'a chart' : 'none reported yet'}`);

  // users: add one
  weights.users = await visit(o, 'users');
  await page.getByLabel('Email', { exact: true }).fill('dora@example.com');
  await page.locator('form.panel').getByLabel('Name').fill('Dora Desk');
  await page.getByRole('button', { name: 'Add', exact: true }).first().click();
  check('the user is added and listed', await waitFor(async () => (await page.locator('table').first().innerText()).includes('dora@example.com')));
  check('the page says how cards are enrolled', (await page.locator('main').innerText()).includes('Cards are enrolled by a swipe at a printer'));
  await shot(page, 'console-users');

  // settings: hold time
  weights.settings = await visit(o, 'settings');
  await page.getByLabel('Hold time').fill('5h');
  await page.getByRole('button', { name: 'Save' }).first().click();
  check('saved: it says so', await waitFor(async () => (await page.locator('.msg.ok').innerText().catch(() => '')).includes('Saved')));
  check('the cloud has the new hold time', JSON.parse(srctl('settings', 'show', '--json')).hold_time === 5 * 3600);
  await shot(page, 'console-settings');

  // audit log: the three changes, by the token here (the console user once sessions exist)
  weights.audit = await visit(o, 'audit');
  const log = await page.locator('table').innerText();
  check('the audit log shows the hold time change from 48 h to 5 h', /settings\.update[^\n]*hold_time: 2d → 5h/.test(log), log.slice(0, 400));
  check('and the user added and the printer accepted', log.includes('user.add') && log.includes('dora@example.com') && log.includes('device.accept'));
  await shot(page, 'console-audit');

  weights.scouts = await visit(o, 'scouts');
  check('the scouts page lists the site service and the workstation', (await page.locator('table').innerText()).includes('site service'));
  // a new print scout: its one-time enrollment token is shown once
  await page.getByLabel('Name', { exact: true }).fill('Reception PC');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  check('a new scout: its enrollment token is shown', await waitFor(async () => /Enrollment token \(shown once, valid \d+ h\): \S{20,}/.test(await page.locator('main').innerText())));
  check('and it is listed', (await page.locator('table').innerText()).includes('Reception PC'));
  await shot(page, 'console-scouts');

  // jobs, with 100,000 in the tenant: first and next page measured in the
  // browser; the first from a fresh load of the page (navigation start to
  // the rows painted: the page's own mark), the next from the click
  // The first load after seeding reads the new rows from disk (cold): it
  // is reported; three more fresh loads are the ones checked. A fresh
  // load: a signed-in browser (new context) with its cache off opens the
  // page anew (from about:blank: a new document, not a change of #hash).
  await o.context.close();
  {
    const c = await open(browser);
    await freshLoad(c, 'jobs');
    await waitFor(() => c.page.evaluate(() => performance.getEntriesByName('sr:jobs-page-1').length > 0));
    const cold = await mark(c.page, 'jobs-page-1');
    const timing = await c.page.evaluate(() => performance.getEntriesByType('resource').map((r) => `${new URL(r.name).pathname.replace(/^.*\//, '')} ${Math.round(r.startTime)}+${Math.round(r.duration)}`));
    figures.push(`jobs page, first load after seeding (cold): ${cold} ms; resource start+duration (ms): ${timing.join(', ')}`);
    await c.context.close();
  }
  // three fresh loads (new contexts: no cache), then the next page twice:
  // the best of each is checked (this machine is shared: other work only
  // adds to a figure), all are reported
  const loads = [];
  let j = null;
  for (let i = 0; i < 3; i++) {
    if (j) await j.context.close();
    j = await open(browser);
    await freshLoad(j, 'jobs');
    check(`jobs: the first page shows (load ${i + 1})`, await waitFor(() => j.page.evaluate(() => performance.getEntriesByName('sr:jobs-page-1').length > 0)));
    const painted = await mark(j.page, 'jobs-page-1');
    const answered = await j.page.evaluate(() => Math.round(performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/v1/jobs')).pop()?.responseEnd || 0));
    loads.push(painted);
    figures.push(`jobs page, fresh load ${i + 1}: rows painted ${painted} ms after navigation start, the jobs' answer at ${answered} ms`);
  }
  const jp = j.page;
  const first = Math.min(...loads);
  const rows1 = await jp.locator('#job-results tbody tr').allInnerTexts();
  const seeded = (rows) => rows.map((r) => (r.match(/Seeded report (\d+)/) || [])[1]).filter(Boolean).map(Number);
  const s1 = seeded(rows1);
  check('the first page has 50 jobs, the newest first', rows1.length === 50 && s1[0] === 99999 && s1.every((n, i) => !i || n === s1[i - 1] - 1), rows1[0]);
  const nexts = [];
  let rows2 = [];
  for (let i = 0; i < 2; i++) {
    if (i) {
      await jp.getByRole('button', { name: 'First page' }).click();
      await waitFor(async () => (await jp.locator('#job-page').innerText()) === 'Page 1');
    }
    const before = await jp.evaluate(() => performance.getEntriesByName('sr:jobs-page-2').length);
    const clicked = await jp.evaluate(() => performance.now());
    await jp.locator('#job-next').click();
    check('jobs: the next page shows', await waitFor(() => jp.evaluate((n) => performance.getEntriesByName('sr:jobs-page-2').length > n, before)));
    nexts.push((await mark(jp, 'jobs-page-2')) - Math.round(clicked));
    rows2 = await jp.locator('#job-results tbody tr').allInnerTexts();
  }
  const next = Math.min(...nexts);
  const s2 = seeded(rows2);
  check('the next page has the next 50', rows2.length === 50 && s2[0] === s1[s1.length - 1] - 1, rows2[0]);
  check(`the first page of 100,000 jobs shows in < 1 s from navigation (best of ${loads.join(', ')} ms)`, first < 1000);
  check(`the next page shows in < 1 s (best of ${nexts.join(', ')} ms)`, next < 1000);
  figures.push(`jobs page with 100,000 jobs: first page ${loads.join(' / ')} ms (fresh loads: navigation start to rows painted), next page ${nexts.join(' / ')} ms (click to rows painted); load average ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ')}`);
  await jp.waitForLoadState('networkidle');
  check('jobs: at most 300 KB transferred', j.net.bytes <= 300 * 1024, j.net.bytes);
  check('jobs: no console error, CSP violation or script error', j.net.problems.length === 0, j.net.problems);
  weights.jobs = j.net.bytes;
  await accessible(jp, 'the jobs page');
  await shot(jp, 'console-jobs');
  // a filter
  await jp.getByLabel('State').selectOption('expired');
  await jp.getByRole('button', { name: 'Show' }).click();
  check('filtered by state: only expired jobs', await waitFor(async () => {
    const states = await jp.locator('#job-results tbody tr td:nth-child(3)').allInnerTexts();
    return states.length === 50 && states.every((s) => s === 'expired');
  }));

  writeCallLog();
  figures.push(`page weights (KB): ${Object.entries(weights).map(([k, v]) => `${k} ${(v / 1024).toFixed(1)}`).join(', ')}`);
  await j.context.close();
}
