// The portal's pages with the cloud's API mocked in the browser
// (page.route): a check of their layout, behaviour and accessibility on a
// phone (390x844) and a desktop (1280x800) that needs no stack. It is not
// the end-to-end test (portal.mjs is, against the real cloud): the API
// answers here are what docs/api/cloud.yaml says, and the encryptor
// (web/shared/jobfile.js) is replaced by a stand-in that only reports
// progress. Pages are served from the source tree with the CSP the cloud
// sends.
// usage: node tests/web/portal_layout.mjs (SR_WEB_OUT: where screenshots go)

import { readFileSync, existsSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTest, openPage, shot, accessible, check, waitFor, text } from './harness.mjs';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const origin = 'http://localhost:1';
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const MB = 1048576;

// The stand-in encryptor: same exports as web/shared/jobfile.js.
const FAKE_JOBFILE = `
export async function fingerprint(spki) { return 'SHA256:3f2a 91c0 7be4 0d55 a1e9 62c3 f0b8 4c17 9e2d 5a60 b3f1 0c8e 47d2 19ab 6e05 c3d8'; }
export function sealedSize(size) { return size + 64; }
export async function encryptJob(file, info, spki, { onProgress, sink, partSize } = {}) {
  const n = 8;
  for (let i = 1; i <= n; i++) { await new Promise((r) => setTimeout(r, 30)); if (onProgress) onProgress(i * file.size / n, file.size); }
  const out = new Uint8Array(await new Blob([new Uint8Array(64), file]).arrayBuffer());
  if (!sink) return new Blob([out]);
  for (let off = 0; off < out.length; off += partSize) await sink(out.subarray(off, off + partSize));
  return { size: out.length };
}`;

function jobs() {
  const t = (h) => new Date(Date.UTC(2026, 11, 1, h, 5)).toISOString().replace(/\.\d+Z$/, 'Z');
  return [
    { id: 'j6', title: 'Quarterly report — final version with appendices.pdf', state: 'held', reason: null, pages: 24, copies: 1, sides: 'two-sided-long-edge', color: 'auto', submitted_at: t(9), expires_at: t(33) },
    { id: 'j5', title: 'boarding-pass.png', state: 'checking', reason: null, pages: null, copies: 1, sides: 'one-sided', color: 'auto', submitted_at: t(8), expires_at: null },
    { id: 'j4', title: 'letter.docx', state: 'failed', reason: 'print it to PDF first', pages: null, copies: 1, sides: 'one-sided', color: 'auto', submitted_at: t(7), expires_at: null },
    { id: 'j3', title: 'Invoice 2291.pdf', state: 'printed', reason: null, pages: 2, copies: 1, sides: 'one-sided', color: 'monochrome', submitted_at: t(6), expires_at: null },
  ];
}

// The mocked cloud: state per page context, requests logged.
function mockCloud(context, log, control = {}) {
  const state = { jobs: jobs(), older: [{ id: 'j1', title: 'Old memo.pdf', state: 'expired', reason: null, pages: 1, copies: 1, sides: 'one-sided', color: 'auto', submitted_at: '2026-11-20T10:00:00Z', expires_at: null }],
    delegations: [{ id: 'd-00000000000000a1', owner: 'bob@example.com', delegate: 'alice@example.com', until: null }], signedIn: true };
  control.state = state;
  return context.route(`${origin}/**`, async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const p = url.pathname;
    const json = (status, body) => route.fulfill({ status, contentType: 'application/json', body: body === undefined ? '' : JSON.stringify(body) });
    let parsed = null;
    try {
      parsed = req.postData() ? JSON.parse(req.postData()) : null;
    } catch {
      parsed = null; // an upload's body
    }
    log.push({ method: req.method(), path: p, search: url.search, csrf: req.headers()['x-csrf-token'] || '', body: parsed });
    if (p.startsWith('/api/v1/')) {
      if (req.method() !== 'GET' && req.headers()['x-csrf-token'] !== 'csrf-token-1') return json(403, { error: { code: 'csrf', message: 'no CSRF token' } });
      if (p === '/api/v1/session') return state.signedIn ? json(200, { tenant: 'acme', user: 'u-alice', email: 'alice@example.com', name: 'Alice Example', role: 'user', csrf: 'csrf-token-1', expires_at: '2026-12-01T22:00:00Z' }) : json(401, { error: { code: 'unauthenticated', message: 'sign in first' } });
      if (p === '/api/v1/me/jobs' && !url.searchParams.get('cursor')) {
        // the upload being checked is held with its page count from the second look on
        state.looks = (state.looks || 0) + 1;
        if (state.looks === 2) Object.assign(state.jobs.find((j) => j.id === 'j5'), { state: 'held', pages: 1, expires_at: '2026-12-03T08:05:00Z' });
        return json(200, { jobs: state.jobs, next: '1764580000.j3' });
      }
      if (p === '/api/v1/me/jobs') return json(200, { jobs: state.older, next: null });
      const del = p.match(/^\/api\/v1\/me\/jobs\/(.+)$/);
      if (del && req.method() === 'DELETE') {
        const before = state.jobs.length;
        state.jobs = state.jobs.filter((j) => !(j.id === del[1] && j.state === 'held'));
        return state.jobs.length < before ? json(204) : json(404, { error: { code: 'not_found', message: 'no such job of yours' } });
      }
      if (p === '/api/v1/me/printers') return json(200, { printers: [
        { id: 'hall', name: 'Hall MFP', location: 'Floor 2, by the lifts', release_url: 'https://print.example.com/r/hall' },
        { id: 'lab', name: 'Lab colour printer', location: null, release_url: 'https://print.example.com/r/lab' },
        { id: 'new', name: 'New printer', location: 'Basement', release_url: null },
        { id: 'evil', name: 'Odd printer', location: null, release_url: 'javascript:alert(1)' }] });
      if (p === '/api/v1/me/delegations' && req.method() === 'GET') return json(200, { delegations: state.delegations });
      if (p === '/api/v1/me/delegations' && req.method() === 'POST') {
        const body = JSON.parse(req.postData());
        const d = { id: 'd-00000000000000b2', owner: 'alice@example.com', delegate: body.delegate, until: body.until || null };
        state.delegations.push(d);
        return json(201, d);
      }
      const rev = p.match(/^\/api\/v1\/me\/delegations\/(.+)$/);
      if (rev) {
        state.delegations = state.delegations.filter((d) => d.id !== rev[1]);
        return json(204);
      }
      if (p === '/api/v1/me/upload-limits') return json(200, { max_size: 50 * MB, daily_left: 420 * MB });
      if (p === '/api/v1/me/submission-key') return json(200, { site: 'site1', spki: 'MFkwEwYHKoZIzj0CAQ', fingerprint: 'ignored by the page' });
      // an upload in parts of 1 MiB here (the cloud's are 8 MiB): several
      // parts for the PDF below
      if (p === '/api/v1/me/part-uploads' && req.method() === 'POST' && state.refuseNext) {
        state.refuseNext = false;
        return json(429, { error: { code: 'daily_limit', message: 'daily upload limit reached', daily_left: 1048576 } });
      }
      if (p === '/api/v1/me/part-uploads' && req.method() === 'POST') {
        state.upload = { size: parsed.size, parts: [], types: [] };
        return json(201, { id: 'pu7', part_size: MB, parts: Math.ceil(parsed.size / MB), expires_at: '2026-12-01T23:00:00Z' });
      }
      if (p === '/api/v1/me/part-uploads/pu7' && req.method() === 'PUT') {
        const n = Number(url.searchParams.get('part'));
        state.upload.parts[n] = (req.postDataBuffer() || Buffer.alloc(0)).length;
        state.upload.types.push(req.headers()['content-type']);
        return json(200, { id: 'pu7', part: n });
      }
      if (p === '/api/v1/me/part-uploads/pu7/complete' && req.method() === 'POST') {
        const u = state.upload;
        const got = u.parts.reduce((a, b) => a + b, 0);
        log.push({ upload: got, parts: u.parts.length, types: u.types });
        return got === u.size ? json(201, { id: 'pu7', state: 'checking' })
          : json(409, { error: { code: 'part_missing', message: 'a part is missing' }, missing: 0 });
      }
      if (p === '/api/v1/session' && req.method() === 'DELETE') return json(204);
      return json(404, { error: { code: 'not_found', message: 'no such resource' } });
    }
    if (p === '/web/shared/jobfile.js') return route.fulfill({ status: 200, contentType: TYPES['.js'], headers: { 'content-security-policy': CSP }, body: FAKE_JOBFILE });
    let file = null;
    if (p === '/portal/' || p === '/portal') file = 'web/portal/index.html';
    else if (p === '/portal/upload') file = 'web/portal/upload.html';
    else if (/^\/portal\/assets\/[a-z]+\.(js|css)$/.test(p)) file = `web${p}`;
    if (!file || !existsSync(join(src, file))) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, contentType: TYPES[extname(file)], headers: { 'content-security-policy': CSP }, body: readFileSync(join(src, file)) });
  });
}

const SIZES = [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]];

// a PDF one byte over the limit (playwright passes files over 50 MB by path)
const tmp = mkdtempSync(join(tmpdir(), 'sr-portal-'));
const huge = join(tmp, 'huge.pdf');
writeFileSync(huge, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(50 * MB - 8)]));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

await runTest(async (browser, figures) => {
  for (const [size, viewport] of SIZES) {
    const { page, net, context } = await openPage(browser, origin, { viewport });
    const log = [];
    const control = {};
    await mockCloud(context, log, control);

    // the home page: jobs, printers, delegations, passcode
    await page.goto(`${origin}/portal/`);
    check(`${size}: the jobs are listed`, await waitFor(async () => (await page.locator('table.jobs tbody tr').count()) === 4), net.problems);
    check(`${size}: a failed job shows its reason`, (await text(page, 'tr[data-job="j4"]')).includes('print it to PDF first'));
    check(`${size}: only held jobs can be deleted`, (await page.locator('table.jobs button').count()) === 1);
    check(`${size}: a job being checked has no page count yet`, (await text(page, 'tr[data-job="j5"]')).includes('Being checked'));
    check(`${size}: each printer with a release page links to it`,
      (await page.getByRole('link', { name: 'Release at this printer: Hall MFP' }).getAttribute('href')) === 'https://print.example.com/r/hall');
    check(`${size}: a printer without a release page says so`, (await text(page, '.printers')).includes('No release page yet'));
    check(`${size}: a release_url that is no https page is never a link`,
      (await page.locator('.printers a').count()) === 2 && !(await page.locator('a[href^="javascript"]').count()));
    check(`${size}: the passcode section says how to renew`, (await text(page, '#passcode')).includes('sr-print-scout passcode --config /etc/securerelease/print-scout.yaml --renew'));
    check(`${size}: the delegation received is listed`, (await text(page, '#delegations')).includes('bob@example.com lets you release'));
    await shot(page, `portal-home-${size}`);
    check(`${size}: an upload being checked shows held with its page count, without a reload`,
      await waitFor(async () => (await text(page, 'tr[data-job="j5"]')).includes('Held') && (await page.locator('tr[data-job="j5"] button').count()) === 1, 10000),
      await text(page, 'tr[data-job="j5"]'));
    check(`${size}: then it stops asking`, await waitFor(async () => {
      const n = log.filter((r) => r.path === '/api/v1/me/jobs').length;
      await new Promise((r) => setTimeout(r, 3500)); // one polling period: no new request in it
      return log.filter((r) => r.path === '/api/v1/me/jobs').length === n;
    }, 10000));
    await accessible(page, `the portal home (${size})`);
    figures.push(`portal home (${size}): ${(net.bytes / 1024).toFixed(1)} KB in ${net.requests.length} requests (mocked API)`);

    // older jobs come page by page
    await page.getByRole('button', { name: 'Show older jobs' }).click();
    check(`${size}: the next page is appended`, await waitFor(async () => (await page.locator('table.jobs tbody tr').count()) === 5));
    check(`${size}: it asked for the cursor it was given`, log.some((r) => r.path === '/api/v1/me/jobs' && r.search.includes('cursor=1764580000.j3')));

    // delete, with a confirmation that can say no
    const del = page.getByRole('button', { name: /^Delete Quarterly report/ });
    await del.click();
    const dialog = page.locator('dialog.confirm');
    check(`${size}: deleting asks first`, await waitFor(async () => dialog.isVisible()));
    if (size === 'phone') await shot(page, `portal-confirm-${size}`);
    await page.getByRole('button', { name: 'Keep it' }).click();
    check(`${size}: "Keep it" deletes nothing`, !log.some((r) => r.method === 'DELETE') && (await page.locator('tr[data-job="j6"]').count()) === 1);
    check(`${size}: focus returns to the delete button`, await del.evaluate((el) => el === document.activeElement));
    await del.click();
    await page.getByRole('button', { name: 'Delete it' }).click();
    check(`${size}: the job is deleted and gone from the list`, await waitFor(async () => (await page.locator('tr[data-job="j6"]').count()) === 0));
    check(`${size}: the DELETE carried the CSRF token`, log.some((r) => r.method === 'DELETE' && r.path === '/api/v1/me/jobs/j6' && r.csrf === 'csrf-token-1'));
    check(`${size}: the page says it was deleted`, (await text(page, '#jobs')).includes('was deleted'));

    // a delegation given and revoked
    await page.getByLabel('Colleague’s email').fill('carol@example.com');
    await page.getByLabel('Until (optional)').fill('2027-01-15');
    await page.getByRole('button', { name: 'Allow' }).click();
    check(`${size}: the delegation is listed`, await waitFor(async () => (await text(page, '#delegations')).includes('carol@example.com may release your jobs')));
    check(`${size}: it runs through the day chosen`, log.some((r) => r.method === 'POST' && r.path === '/api/v1/me/delegations' && r.body && r.body.until === '2027-01-15T23:59:59Z'));
    await shot(page, `portal-delegation-${size}`);
    await page.getByRole('button', { name: 'Revoke carol@example.com' }).click();
    check(`${size}: and revoked`, await waitFor(async () => (await text(page, '#delegations')).includes('may no longer release')));

    // the upload page
    await page.goto(`${origin}/portal/upload`);
    check(`${size}: the upload page shows the site key's fingerprint computed by the page`,
      await waitFor(async () => (await text(page, '.fingerprint')).startsWith('SHA256:3f2a')));
    check(`${size}: the limits are shown`, (await text(page, '#accepted')).includes('50 MB') && (await text(page, '#accepted')).includes('420 MB'));
    await shot(page, `portal-upload-${size}`);
    await accessible(page, `the upload page (${size})`);
    const input = page.locator('input[type=file]');
    // a Word file named .pdf: refused by its bytes, before any encryption
    await input.setInputFiles({ name: 'letter.pdf', mimeType: 'application/pdf', buffer: Buffer.from('PK\u0003\u0004 word document') });
    check(`${size}: a file that is not PDF/JPEG/PNG is refused with "print it to PDF first"`,
      await waitFor(async () => (await text(page, '[role=alert]')).includes('print it to PDF first')));
    await shot(page, `portal-upload-refused-${size}`);
    await input.setInputFiles(huge);
    check(`${size}: a file over the size limit is refused before encrypting`,
      await waitFor(async () => (await text(page, '[role=alert]')).includes('larger than 50 MB')));
    check(`${size}: nothing was uploaded for refused files`, !log.some((r) => r.upload !== undefined));
    // a PNG dropped on the page: taken as a file chosen
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(1000)]);
    const dt = await page.evaluateHandle((bytes) => {
      const d = new DataTransfer();
      d.items.add(new File([new Uint8Array(bytes)], 'photo.png', { type: 'image/png' }));
      return d;
    }, [...png]);
    await page.locator('.dropzone').dispatchEvent('dragover', { dataTransfer: dt });
    check(`${size}: the drop zone shows a file is over it`, await page.locator('.dropzone.over').count() === 1);
    await page.locator('.dropzone').dispatchEvent('drop', { dataTransfer: dt });
    check(`${size}: a dropped PNG is encrypted and uploaded`, await waitFor(async () => (await text(page, '[role=status]')).includes('“photo.png” was uploaded')));
    check(`${size}: as the encryptor's output`, await waitFor(() => log.some((r) => r.upload === png.length + 64)));
    log.splice(0, log.length);
    log.splice(0, log.length);
    // a PDF: encrypted (stand-in), uploaded with progress
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2 * MB, 0x20)]);
    const progressSeen = page.waitForSelector('progress#p-enc', { timeout: 5000 }).then(() => true, () => false);
    await input.setInputFiles({ name: 'slides.pdf', mimeType: 'application/pdf', buffer: pdf });
    check(`${size}: progress bars are shown while encrypting and uploading`, await progressSeen);
    if (size === 'desktop') await shot(page, `portal-upload-progress-${size}`);
    check(`${size}: the upload finishes and says so`, await waitFor(async () => (await text(page, '[role=status]')).includes('was uploaded')));
    const up = log.find((r) => r.upload !== undefined);
    check(`${size}: the parts sent are the encryptor's output, in 1 MiB parts, as octet-stream`,
      up && up.upload === pdf.length + 64 && up.parts === 3 && up.types.every((t) => t === 'application/octet-stream'), up);
    check(`${size}: every call of the upload carried the CSRF token`,
      log.filter((r) => r.path && r.path.startsWith('/api/v1/me/part-uploads')).length === 5 &&
      log.filter((r) => r.path && r.path.startsWith('/api/v1/me/part-uploads')).every((r) => r.csrf === 'csrf-token-1'));
    check(`${size}: what is left today goes down by what was uploaded`, (await text(page, '#accepted')).includes('417 MB'), await text(page, '#accepted'));
    await shot(page, `portal-upload-done-${size}`);
    // the server's own limit (another tab used the allowance): its answer, clearly
    control.state.refuseNext = true;
    await input.setInputFiles({ name: 'again.png', mimeType: 'image/png', buffer: png });
    check(`${size}: a 429 from the server says how much is left today`,
      await waitFor(async () => (await text(page, '[role=alert]')).includes('only 1 MB more today') && (await text(page, '#accepted')).includes('upload 1 MB more today')), await text(page, '[role=alert]'));
    check(`${size}: no request left the origin`, net.foreign.length === 0, net.foreign);
    check(`${size}: no console error, CSP violation or script error`, net.problems.length === 0, net.problems);
    await context.close();
  }

  // signed out: a sign-in prompt, coming back to the page
  const out = await openPage(browser, origin, { viewport: { width: 390, height: 844 } });
  const log = [];
  await mockCloud(out.context, log);
  // registered last, so asked first (playwright: the newest route wins)
  await out.context.route(`${origin}/api/v1/session`, (r) => r.fulfill({ status: 401, contentType: 'application/json', body: '{"error":{"code":"unauthenticated","message":"sign in first"}}' }));
  await out.page.goto(`${origin}/portal/upload`);
  const link = out.page.getByRole('link', { name: 'Sign in' });
  check('signed out: a sign-in link that comes back to the page',
    await waitFor(async () => (await link.getAttribute('href')) === '/console/login?next=%2Fportal%2Fupload'));
  check('signed out: no /me call is made', !log.some((r) => r.path.startsWith('/api/v1/me/')));
  await shot(out.page, 'portal-signed-out-phone');
  await accessible(out.page, 'the sign-in prompt');
  await out.context.close();
});
