// What the browser tests do to the stack beside the browser (tests/web/run.sh
// started it and exported where everything is): submit jobs at a
// workstation, ask the cloud about them, look at what the printer got.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, shot } from './harness.mjs';

export const env = process.env;
export const origin = new URL(env.PANEL_URL).origin;
const docs = join(env.SR_TMP, 'docs');
mkdirSync(docs, { recursive: true });

export function srctl(...args) {
  return execFileSync(join(env.SR_BIN, 'srctl'), args, { encoding: 'utf8' });
}

// A held job titled `title` from the workstation `queue`, whose one-page
// document says `title` (docs/TITLE.pdf, to compare with the printer's).
export function submit(queue, title) {
  const pdf = execFileSync('python3', [join(env.SR_SRC, 'tests/support/make_pdf.py'), `browser test: ${title}`]);
  const file = join(docs, `${title.replace(/[^A-Za-z0-9]/g, '_')}.pdf`);
  writeFileSync(file, pdf);
  execFileSync(join(env.SR_BIN, 'srctl'), ['submit', file, '--queue', queue, '--title', title, '--format', 'application/pdf']);
  return file;
}

export function cloudJobs() {
  return JSON.parse(srctl('jobs', '--json')).jobs;
}

export function heldTitles() {
  return cloudJobs().filter((j) => j.state === 'held').map((j) => j.title).sort();
}

// The documents the printer finished (a .env beside each, written by the
// stack's print script): [{file, name, env}] by job number; name: the
// title whose document it is byte-identical to, or 'unknown'.
export function printed() {
  const spool = env.SPOOL_DIR;
  const ours = readdirSync(docs).map((f) => [f, readFileSync(join(docs, f))]);
  return readdirSync(spool).filter((f) => f.endsWith('.pdf') && existsSync(join(spool, `${f}.env`)))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
    .map((f) => {
      const bytes = readFileSync(join(spool, f));
      const same = ours.find(([, d]) => d.equals(bytes));
      return { file: f, name: same ? same[0].replace(/\.pdf$/, '') : 'unknown', env: readFileSync(join(spool, `${f}.env`), 'utf8') };
    });
}

export function hold(on) {
  if (on) writeFileSync(env.PRINT_HOLD, '');
  else execFileSync('rm', ['-f', env.PRINT_HOLD]);
}

export function fileName(title) {
  return title.replace(/[^A-Za-z0-9]/g, '_');
}

// Whether the cloud sees the workstation NAME online.
export function scoutOnline(name) {
  const s = JSON.parse(srctl('scout', 'list', '--json')).scouts.find((x) => x.name === name);
  return !!(s && s.online);
}

// The QR codes zbarimg (not our encoder) reads in the image FILE, one
// text each: [] when it finds none.
export function decodeQr(file) {
  try {
    return execFileSync('zbarimg', ['-q', '--raw', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

// A rotating code for DEVICE that runs out at EXPIRY (unix seconds), made
// from the site secret as docs/security.md says (tests/support/release_code.py,
// not the site service): one the site would never hand out.
export function releaseCode(device, expiry) {
  return execFileSync('python3', [join(env.SR_SRC, 'tests/support/release_code.py'), env.SR_SECRET_FILE, env.SR_TENANT,
    device, String(expiry)], { encoding: 'utf8' }).trim();
}

// Sets the tenant's release_codes (static, rotating or both).
export function releaseCodes(value) {
  srctl('settings', 'set', `release_codes=${value}`);
  return JSON.parse(srctl('settings', 'show', '--json')).release_codes === value;
}

// Signs `page` in to the console as EMAIL with ROLE through a one-time
// sign-in link (POST /api/v1/sign-in-links with the stack's administrator
// token, docs/console.md): opens the link, waits for the console. The
// OpenID Connect click-through is tests/web/console_oidc's.
export async function consoleSignIn(page, role = 'administrator', email = env.DEMO_EMAIL) {
  const token = readFileSync(env.SR_TOKEN_FILE, 'utf8').trim();
  const out = execFileSync('curl', ['-sf', '--cacert', env.SR_CLOUD_CA, '-H', `Authorization: Bearer ${token}`,
    '-H', 'Content-Type: application/json', '--data', JSON.stringify({ email, role }),
    `${env.SR_CLOUD_URL}/api/v1/sign-in-links`], { encoding: 'utf8' });
  const { url } = JSON.parse(out);
  await page.goto(url);
  await page.waitForURL((u) => u.pathname === '/console/' || u.pathname === '/console', { timeout: 15000 });
  return url;
}

// Through the test OpenID provider's own pages (oidc-provider's
// devInteractions, at env.OIDC_ISSUER): any password signs LOGIN in, then
// its consent page (each skipped when the provider remembers them).
// BACK() says when the browser is at the relying party again; returns
// whether it came true. Screenshots NAME-2-provider-login and
// NAME-3-provider-consent.
export async function signInAtProvider(page, login, back, name) {
  // where the browser is: 'site' (back), 'login', 'consent' (or null while it moves)
  const at = async () => {
    if (await back()) return 'site';
    if (!page.url().startsWith(env.OIDC_ISSUER)) return null;
    const prompt = page.locator('input[name=prompt]');
    return (await prompt.count()) >= 1 ? prompt.first().getAttribute('value') : null;
  };
  let where = await waitFor(at, 10000);
  if (where === 'login') {
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('any-password');
    await shot(page, `${name}-2-provider-login`);
    await page.locator('button[type=submit]').first().click();
    where = await waitFor(async () => { const w = await at(); return w === 'login' ? null : w; }, 10000);
  }
  if (where === 'consent') {
    await shot(page, `${name}-3-provider-consent`);
    await page.locator('button[type=submit]').first().click();
  }
  return Boolean(await waitFor(back, 10000));
}

// REST calls the console's and the portal's pages made ("METHOD /api/v1/..."),
// for console_api_coverage: logCalls(context) records them, writeCallLog()
// writes them to SR_WEB_OUT/api-calls.txt.
export const apiLog = [];

export function logCalls(context) {
  context.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin === new URL(env.SR_CLOUD_URL).origin && u.pathname.startsWith('/api/v1/')) apiLog.push(`${r.method()} ${u.pathname}`);
  });
}

export function writeCallLog() {
  writeFileSync(join(env.SR_WEB_OUT, 'api-calls.txt'), `${[...new Set(apiLog)].join('\n')}\n`);
}
