// web/shared/jobfile.js against the C reader: documents encrypted in Node
// (globalThis.crypto.subtle) and in Debian's chromium (playwright-core, the
// module loaded from a static server of this test on 127.0.0.1) are opened
// by `srctl job show` with the site secret: the same bytes come out, with
// the same job information. Also: the fingerprint is the C one, another
// site's secret cannot open the file ("another site key"), damaged bytes
// are named, and bad arguments are refused before anything is written.
// usage: node jobfile.mjs BIN_DIR SOURCE_DIR
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { check, done, launch, close } from './harness.mjs';

const [bin, src] = process.argv.slice(2);
const srctl = join(bin, 'srctl');
const tmp = mkdtempSync(join(tmpdir(), 'sr-jobfile-js-'));
const { encryptJob, fingerprint, sealedSize } = await import(pathToFileURL(join(src, 'web/shared/jobfile.js')));

function secretFile(name) {
  const path = join(tmp, name);
  writeFileSync(path, execFileSync(srctl, ['secret', 'generate'], { stdio: ['ignore', 'pipe', 'ignore'] }));
  chmodSync(path, 0o600);
  return path;
}
const secret = secretFile('secret');
const otherSecret = secretFile('other-secret');
const keyOut = execFileSync(srctl, ['secret', 'key', '--secret-file', secret, '--tenant', 'acme']).toString();
const spki = /^spki: (\S+)$/m.exec(keyOut)[1];
const cFingerprint = /^fingerprint: (\S+)$/m.exec(keyOut)[1];

// srctl job show on `file`: {ok, info, document, error}
function open(file, secretPath = secret) {
  const out = join(tmp, 'opened');
  rmSync(out, { force: true });
  const r = spawnSync(srctl, ['job', 'show', file, '--secret-file', secretPath, '--tenant', 'acme', '--document', out]);
  const stdout = r.stdout.toString();
  let document = null;
  try { document = readFileSync(out); } catch { /* none on failure */ }
  return { ok: r.status === 0, info: (/^info: (.*)$/m.exec(stdout) || [])[1], document, error: r.stderr.toString() };
}

const chunk = 256 * 1024;
const documents = [
  { name: 'empty', bytes: Buffer.alloc(0) },
  { name: 'one byte', bytes: Buffer.from('x') },
  { name: 'pdf', bytes: readFileSync(join(src, 'tests/data/three-pages.pdf')) },
  { name: 'chunk - 1', bytes: randomBytes(chunk - 1) },
  { name: 'chunk', bytes: randomBytes(chunk) },
  { name: 'chunk + 1', bytes: randomBytes(chunk + 1) },
  { name: '5 MiB + 17', bytes: randomBytes(5 * 1024 * 1024 + 17) },
];
const infoOf = (d) => ({ title: `${d.name}.pdf`, format: 'application/pdf', size: d.bytes.length, submitted_at: 1764583200 });

// --- Node
check('Node: the fingerprint is the C one', (await fingerprint(spki)) === cFingerprint, [await fingerprint(spki), cFingerprint]);
for (const d of documents) {
  const progress = [];
  const blob = await encryptJob(new Blob([d.bytes]), infoOf(d), spki, { onProgress: (a, b) => progress.push([a, b]) });
  const file = join(tmp, 'node.srjob');
  writeFileSync(file, Buffer.from(await blob.arrayBuffer()));
  const r = open(file);
  check(`Node ${d.name}: the C reader opens it`, r.ok, r.error);
  check(`Node ${d.name}: the same document`, r.ok && r.document.equals(d.bytes));
  check(`Node ${d.name}: the same job information`, r.info === JSON.stringify(infoOf(d)), r.info);
  const last = progress[progress.length - 1] || [];
  check(`Node ${d.name}: progress rises to the size`, last[0] === d.bytes.length && last[1] === d.bytes.length &&
    progress.every((p, i) => i === 0 || p[0] > progress[i - 1][0]), progress.slice(-3));
}
// small chunks: many records
{
  const d = documents[6];
  const blob = await encryptJob(new Blob([d.bytes]), infoOf(d), spki, { chunkSize: 1024 });
  const file = join(tmp, 'small.srjob');
  const bytes = Buffer.from(await blob.arrayBuffer());
  writeFileSync(file, bytes);
  const r = open(file);
  check('Node 1 KiB chunks: the same document', r.ok && r.document.equals(d.bytes), r.error);
  // two encryptions of one document share nothing but the key id
  const again = Buffer.from(await (await encryptJob(new Blob([d.bytes]), infoOf(d), spki, { chunkSize: 1024 })).arrayBuffer());
  check('two encryptions differ (ephemeral key, file id, data key)', !again.subarray(28, 169).equals(bytes.subarray(28, 169)) &&
    again.subarray(20, 28).equals(bytes.subarray(20, 28)));
}

// in parts (the portal's upload): each part but the last exactly partSize
// bytes, handed over full, the size known before sealing, the same file
for (const d of [documents[6], documents[0]]) {
  const parts = [];
  const partSize = 4096;
  const r0 = await encryptJob(new Blob([d.bytes]), infoOf(d), spki, { chunkSize: 1024, partSize,
    sink: async (p) => { parts.push(Buffer.from(p)); } }); // a copy: the part's buffer is reused
  const whole = Buffer.concat(parts);
  const file = join(tmp, 'parts.srjob');
  writeFileSync(file, whole);
  const r = open(file);
  check(`Node in parts ${d.name}: every part but the last is ${partSize} bytes`, parts.length >= 1 &&
    parts.slice(0, -1).every((p) => p.length === partSize) && parts[parts.length - 1].length <= partSize &&
    parts[parts.length - 1].length > 0, parts.map((p) => p.length));
  check(`Node in parts ${d.name}: sealedSize said the size before, the result says it after`,
    sealedSize(d.bytes.length, infoOf(d), { chunkSize: 1024 }) === whole.length && r0.size === whole.length,
    [sealedSize(d.bytes.length, infoOf(d), { chunkSize: 1024 }), r0.size, whole.length]);
  check(`Node in parts ${d.name}: the parts joined open to the same document`, r.ok && r.document.equals(d.bytes), r.error);
}

// --- attacks on what the browser wrote
{
  const d = documents[2];
  const bytes = Buffer.from(await (await encryptJob(new Blob([d.bytes]), infoOf(d), spki)).arrayBuffer());
  const file = join(tmp, 'attack.srjob');
  const tryWith = (mutate, secretPath) => {
    const b = Buffer.from(bytes);
    const cut = mutate(b) || b;
    writeFileSync(file, cut);
    return open(file, secretPath);
  };
  let r = tryWith(() => {}, otherSecret);
  check('another site\'s secret: "another site key", no document', !r.ok && /another site key/.test(r.error) && !r.document, r.error);
  r = tryWith((b) => { b[44 + 30] ^= 1; });
  check('a flipped byte in the ephemeral key: named', !r.ok && /ephemeral key is not a P-256 point/.test(r.error), r.error);
  r = tryWith((b) => { b[121 + 5] ^= 1; });
  check('a flipped byte in the wrapped key: named', !r.ok && /header is corrupted \(it failed authentication\)/.test(r.error), r.error);
  r = tryWith((b) => { b[b.length - 20] ^= 1; });
  check('a flipped byte in the document: its chunk named, nothing written', !r.ok && /chunk 1 failed authentication/.test(r.error) && !r.document, r.error);
  r = tryWith((b) => b.subarray(0, b.length - 1));
  check('one byte short: truncated', !r.ok && /truncated/.test(r.error), r.error);
  r = tryWith((b) => b.subarray(0, 100));
  check('cut inside the header: named', !r.ok && /ends inside its header/.test(r.error), r.error);
}
for (const [what, args] of [
  ['a key that is not base64url', [new Blob(['x']), {}, 'not+base64/']],
  ['a key that is not P-256', [new Blob(['x']), {}, 'AAAA']],
  ['chunks below 1 KiB', [new Blob(['x']), {}, spki, { chunkSize: 10 }]],
  ['job information over 64 KiB', [new Blob(['x']), { title: 'x'.repeat(70000) }, spki]],
]) {
  let threw = false;
  try { await encryptJob(...args); } catch { threw = true; }
  check(`refused: ${what}`, threw);
}

// --- Chromium: the same module served over http://127.0.0.1 (a secure context)
const moduleText = readFileSync(join(src, 'web/shared/jobfile.js'));
const uploads = new Map();
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': "default-src 'self'" });
    return res.end('<!doctype html><html lang="en"><title>jobfile</title><p>jobfile.js</p></html>');
  }
  if (req.method === 'GET' && url.pathname === '/web/shared/jobfile.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    return res.end(moduleText);
  }
  const m = /^\/doc\/(\d+)$/.exec(url.pathname);
  if (req.method === 'GET' && m) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    return res.end(documents[Number(m[1])].bytes);
  }
  const u = /^\/out\/(\d+)$/.exec(url.pathname);
  if (req.method === 'PUT' && u) {
    const parts = [];
    req.on('data', (p) => parts.push(p));
    req.on('end', () => { uploads.set(Number(u[1]), Buffer.concat(parts)); res.writeHead(204); res.end(); });
    return undefined;
  }
  res.writeHead(404);
  return res.end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await launch();
try {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${origin}/`);
  const fp = await page.evaluate(async (k) => (await import('/web/shared/jobfile.js')).fingerprint(k), spki);
  check('Chromium: the fingerprint is the C one', fp === cFingerprint, fp);
  for (let n = 0; n < documents.length; n += 1) {
    const d = documents[n];
    const result = await page.evaluate(async ({ n, info, key }) => {
      const { encryptJob } = await import('/web/shared/jobfile.js');
      const doc = await (await fetch(`/doc/${n}`)).blob();
      const progress = [];
      const out = await encryptJob(doc, info, key, { onProgress: (a) => progress.push(a) });
      const put = await fetch(`/out/${n}`, { method: 'PUT', body: out });
      return { status: put.status, last: progress[progress.length - 1], size: doc.size };
    }, { n, info: infoOf(d), key: spki });
    check(`Chromium ${d.name}: uploaded, progress to the end`, result.status === 204 && result.last === result.size, result);
    const file = join(tmp, 'chromium.srjob');
    writeFileSync(file, uploads.get(n) || Buffer.alloc(0));
    const r = open(file);
    check(`Chromium ${d.name}: the C reader opens it`, r.ok, r.error);
    check(`Chromium ${d.name}: the same document`, r.ok && r.document.equals(d.bytes));
    check(`Chromium ${d.name}: the same job information`, r.info === JSON.stringify(infoOf(d)), r.info);
  }
  check('Chromium: no page error', problems.length === 0, problems);
} finally {
  await close(browser);
  server.close();
  rmSync(tmp, { recursive: true, force: true });
}
done();
