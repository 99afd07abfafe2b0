// Web upload end to end (issue 14), in the browser against the whole
// stack (tests/web/run.sh): alice signs in with a one-time link, the
// upload page shows the site key's fingerprint as the administrator sees
// it, she uploads a PDF and a JPEG (each with a text marker) and a Word
// file the page refuses before encrypting; what the browser sent holds no
// marker; both jobs turn held with their page counts in her list; she
// releases the PDF at the stack's printer through its release page and
// it arrives byte-identical. Needs issue 14's slices 1 (sign-in links),
// 3 (web/shared/jobfile.js, submission keys) and 4 (uploads, the site's
// check).

import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runTest, openPage, shot, accessible, check, waitFor, text } from './harness.mjs';
import { env, printed, fileName, origin as panelOrigin, logCalls, writeCallLog } from './common.mjs';

const cloud = new URL(env.SR_CLOUD_URL).origin;
const ca = readFileSync(env.SR_CLOUD_CA);
const adminToken = readFileSync(env.SR_TOKEN_FILE, 'utf8').split('\n')[0].trim();
const docs = join(env.SR_TMP, 'docs'); // where printed() looks for the originals
mkdirSync(docs, { recursive: true });

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

// The documents: a PDF and a JPEG (the PDF's page as a picture), each
// showing its own marker; the originals stay in docs/ for printed().
const marker = `portal-marker-${randomBytes(6).toString('hex')}`;
const pdfTitle = 'Portal upload.pdf';
const jpegTitle = 'Portal photo.jpg';
const pdf = execFileSync('python3', [join(env.SR_SRC, 'tests/support/make_pdf.py'), `${marker} pdf`]);
writeFileSync(join(docs, `${fileName(pdfTitle)}.pdf`), pdf);
const jpegSource = join(env.SR_TMP, 'photo-source.pdf');
writeFileSync(jpegSource, execFileSync('python3', [join(env.SR_SRC, 'tests/support/make_pdf.py'), `${marker} jpeg`]));
execFileSync('pdftoppm', ['-jpeg', '-r', '40', '-singlefile', jpegSource, join(env.SR_TMP, 'photo')]);
const jpeg = readFileSync(join(env.SR_TMP, 'photo.jpg'));
const docx = Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.from(`[Content_Types].xml ${marker} docx`)]);

// 64 bytes from the middle of a document: found only where it is in the clear.
const middle = (bytes) => bytes.subarray(Math.floor(bytes.length / 2) - 32, Math.floor(bytes.length / 2) + 32);

// Every regular file under DIR.
function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

await runTest(async (browser, figures) => {
  const link = await api('POST', '/api/v1/sign-in-links', { email: env.DEMO_EMAIL, role: 'user' });
  if (!check('a sign-in link is made for alice', link.status === 201, link)) return;
  const { page, net, context } = await openPage(browser, cloud, { viewport: { width: 1280, height: 800 } });
  logCalls(context); // for console_api_coverage
  // what the page sends: parts (counted; their Blob bodies are not shown
  // to playwright, so what they held is read where the cloud stored them,
  // below) and the uploads it completed
  let partsSent = 0;
  const completed = [];
  page.on('request', (r) => {
    const m = /^\/api\/v1\/me\/part-uploads\/([^/]+)(\/complete)?$/.exec(new URL(r.url()).pathname);
    if (m && !m[2] && r.method() === 'PUT') partsSent += 1;
    if (m && m[2] && r.method() === 'POST') completed.push(m[1]);
  });
  // the job file stored for upload `id` (the job's id): what the browser sent
  const stored = (id) => {
    const file = filesUnder(join(env.SR_TMP, 'cloud')).find((f) => f.endsWith(`/${id}`));
    return file ? readFileSync(file) : Buffer.alloc(0);
  };
  await page.goto(link.body.url);
  await page.waitForURL((u) => u.pathname.startsWith('/portal'), { timeout: 15000 }); // the link page's own step
  await waitFor(async () => (await context.cookies(cloud)).some((c) => c.name === '__Host-sr_session'));
  await page.goto(`${cloud}/portal/upload`);

  // the fingerprint the page computed from the key it encrypts to
  const keys = await api('GET', '/api/v1/sites/submission-keys');
  const shownFp = await waitFor(async () => {
    const t = await text(page, '.fingerprint');
    return t.startsWith('SHA256:') ? t : '';
  });
  check('the page shows the site key fingerprint the administrator sees', keys.status === 200 &&
    JSON.stringify(keys.body).includes(shownFp), { shownFp, keys: keys.body });
  await shot(page, 'upload-ready');
  await accessible(page, 'the upload page');

  // the Word file: refused in the page, nothing sent
  const input = page.locator('input[type=file]');
  await input.setInputFiles({ name: 'letter.docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', buffer: docx });
  check('a Word file is refused with "print it to PDF first"', await waitFor(async () => (await text(page, '[role=alert]')).includes('print it to PDF first')));
  check('and nothing was sent for it', partsSent === 0 && completed.length === 0);

  for (const [title, bytes, type] of [[pdfTitle, pdf, 'application/pdf'], [jpegTitle, jpeg, 'image/jpeg']]) {
    const t0 = Date.now();
    await input.setInputFiles({ name: title, mimeType: type, buffer: bytes });
    check(`${title}: the page says it was uploaded`, await waitFor(async () => (await text(page, '[role=status]')).includes(`“${title}” was uploaded`), 60000),
      await text(page, 'main'));
    figures.push(`${title}: ${bytes.length} bytes encrypted and uploaded in ${Date.now() - t0} ms`);
  }
  const sent = completed.map(stored);
  check('two uploads were sent in parts, completed, and stored as job files', completed.length === 2 && partsSent >= 2 &&
    sent.every((b) => b.subarray(0, 8).equals(Buffer.from('SRJOB\0\r\n'))), { completed, partsSent });
  check('what the browser sent holds no marker and no document', sent.every((b) => !b.includes(marker) && !b.includes(pdf.subarray(0, 64)) && !b.includes(jpeg.subarray(0, 64))));
  await shot(page, 'upload-done');

  // in the list: checked at the site, held with their page counts
  await page.goto(`${cloud}/portal/`);
  const row = (title) => page.locator('table.jobs tbody tr', { hasText: title });
  for (const title of [pdfTitle, jpegTitle]) {
    check(`${title}: held with its page count (1)`, await waitFor(async () => {
      const t = await row(title).innerText();
      return /Held/.test(t) && /\b1\b/.test(t);
    }, 60000), await text(page, '#jobs'));
  }
  await shot(page, 'upload-held');

  // nothing of either document in the clear at the cloud: not in its
  // storage, database or logs, nor in its memory after the uploads (the
  // running sr-cloud dumped with gdb's gcore)
  const clear = [['the marker', Buffer.from(marker)], ['a piece of the PDF', middle(pdf)], ['a piece of the JPEG', middle(jpeg)]];
  const cloudDir = join(env.SR_TMP, 'cloud');
  const found = [];
  const files = filesUnder(cloudDir);
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const [what, needle] of clear) if (bytes.includes(needle)) found.push(`${what} in ${file}`);
  }
  check(`the cloud's storage, database and logs hold no plaintext (${files.length} files read)`, found.length === 0, found);
  const core = join(env.SR_TMP, 'cloud-memory');
  execFileSync('gcore', ['-o', core, env.PID_CLOUD], { stdio: ['ignore', 'ignore', 'pipe'] }); // a failure says gdb's why
  const dump = readFileSync(`${core}.${env.PID_CLOUD}`);
  rmSync(`${core}.${env.PID_CLOUD}`);
  const inMemory = clear.filter(([, needle]) => dump.includes(needle)).map(([what]) => what);
  check(`the cloud's memory after the uploads holds no plaintext (${(dump.length / 1048576).toFixed(0)} MiB dumped)`, dump.length > 0 && inMemory.length === 0, inMemory);
  check('no request to another origin, no script error', net.foreign.length === 0 && net.problems.length === 0, [net.foreign, net.problems]);

  // released at the printer through its release page: byte-identical
  const before = printed().length;
  const panel = await openPage(browser, panelOrigin, { viewport: { width: 390, height: 844 } });
  await panel.page.goto(`${panelOrigin}/r/printer1`);
  await panel.page.getByLabel('Email', { exact: true }).fill(env.DEMO_EMAIL);
  await panel.page.getByLabel('PIN', { exact: true }).fill(env.DEMO_PIN);
  await panel.page.getByRole('button', { name: 'Log in' }).click();
  await panel.page.getByRole('button', { name: `Print ${pdfTitle}` }).click();
  check('the uploaded PDF arrives at the printer byte-identical', await waitFor(() => printed().length > before &&
    printed().slice(before).some((p) => p.name === fileName(pdfTitle)), 60000), printed().map((p) => p.name));
  await shot(panel.page, 'upload-released');
  await panel.context.close();
  await context.close();
  writeCallLog();
});
