// The console's pages (web/console, web/shared) in chromium against the
// real stack's cloud API, BEFORE the cloud serves them and signs people in
// (issue 14 slice 1). A TEMPORARY shim, in this test only: the browser's
// requests to the cloud's origin are answered by the test: the pages'
// files from the source tree (with the cloud's security headers), GET
// /api/v1/session with an administrator's session and a CSRF token, and
// every other /api/v1 call forwarded to the real cloud with the stack's
// administrator token — after checking that the page sent the CSRF token
// with each call that changes something. tests/web/console_admin.mjs is
// the real test (cookie session through the cloud), for once slice 1 is in.
//
// What it checks as a user would: the overview with its charts, a printer
// found by the site's scan accepted, a user added, the hold time changed
// and seen in the audit log; the jobs page with 100,000 jobs shows its
// first and next page each in under a second (measured in the browser);
// axe on every page; each page <= 300 KB; every API path the pages called
// is in docs/api/cloud.yaml (console_api_coverage reads the log written).

import { readFileSync, existsSync, rmSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { runTest, openPage, check } from './harness.mjs';
import { env } from './common.mjs';
import { cloud, consoleFlow, logCalls } from './console_flow.mjs';

const token = readFileSync(env.SR_TOKEN_FILE, 'utf8').trim();
const web = join(env.SR_SRC, 'web');
const CSRF = 'csrf-of-the-test-session';
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const csrfMissing = [];

// what the cloud will serve (docs/console.md): /console/ -> index.html,
// /console/assets/*, /web/shared/*
function staticFile(path) {
  let file = null;
  if (path === '/console/' || path === '/console') file = join(web, 'console/index.html');
  else if (path.startsWith('/console/assets/')) file = join(web, 'console/assets', path.slice(16));
  else if (path.startsWith('/web/shared/')) file = join(web, 'shared', path.slice(12));
  if (!file || !normalize(file).startsWith(web) || !existsSync(file)) return null;
  return { body: readFileSync(file), type: types[file.slice(file.lastIndexOf('.'))] || 'application/octet-stream' };
}

async function shim(context) {
  await context.route(`${cloud}/**`, async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    if (url.pathname === '/api/v1/session') {
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ tenant: env.SR_TENANT, user: 'u-admin', email: 'admin@example.com', name: 'Ada Admin', role: 'administrator', csrf: CSRF, expires_at: '2099-01-01T00:00:00Z' }) });
    }
    if (url.pathname.startsWith('/api/v1/')) {
      const h = req.headers();
      if (req.method() !== 'GET' && h['x-csrf-token'] !== CSRF) csrfMissing.push(`${req.method()} ${url.pathname}`);
      const res = await route.fetch({ headers: { ...h, authorization: `Bearer ${token}` } });
      return route.fulfill({ response: res });
    }
    const f = staticFile(url.pathname);
    if (!f) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, body: f.body, headers: { 'content-type': f.type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' } });
  });
}

async function open(browser) {
  const o = await openPage(browser, cloud, { viewport: { width: 1280, height: 900 } });
  await shim(o.context);
  logCalls(o.context);
  return o;
}

await runTest(async (browser, figures) => {
  rmSync(join(env.SR_WEB_OUT, 'api-calls.txt'), { force: true });
  await consoleFlow(browser, figures, open, { shim: true });
  check('every call that changed something carried the CSRF token', csrfMissing.length === 0, csrfMissing);
});
