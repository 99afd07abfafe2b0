// Benchmark: web/shared/jobfile.js encrypting a large file in headless
// chromium (Debian's, through playwright-core), beside the same module in
// Node and OpenSSL's own AES-256-GCM (wall clock) in the same run. Prints
// MB/s and memory for three sizes (a fifth, the size, four times it), to
// show it does not grow with the document: the page's JavaScript heap (DevTools Runtime.getHeapUsage:
// before, the peak sampled every 20 ms while encrypting, after) and the
// renderer processes' resident memory (/proc, same samples; ArrayBuffers
// live outside the JS heap). The machine's load average is printed too:
// figures taken beside other work are lower. The browser's output is opened
// with `srctl job show` (same bytes) so a fast wrong answer cannot pass.
// usage: node run.mjs BIN_DIR [SIZE_MB (50)]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launch, close } from '../../tests/web/harness.mjs';

const src = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = process.argv[2] || join(src, 'build/bin');
const sizeMB = Number(process.argv[3] || 50);
const MB = 1e6;
const srctl = join(bin, 'srctl');
const tmp = mkdtempSync(join(tmpdir(), 'sr-bench-encrypt-'));
const secret = join(tmp, 'secret');
writeFileSync(secret, execFileSync(srctl, ['secret', 'generate'], { stdio: ['ignore', 'pipe', 'ignore'] }));
chmodSync(secret, 0o600);
const spki = /^spki: (\S+)$/m.exec(execFileSync(srctl, ['secret', 'key', '--secret-file', secret]).toString())[1];

// A PDF header then incompressible bytes: what encryption sees of a scan.
const makeDoc = (mb) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(Math.round(mb * MB) - 9)]);
const docs = { small: makeDoc(sizeMB / 5), big: makeDoc(sizeMB), huge: makeDoc(sizeMB * 4) };
const moduleText = readFileSync(join(src, 'web/shared/jobfile.js'));
const uploads = new Map(); // run -> its parts, in order
let runCount = 0;
const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end('<!doctype html><html lang="en"><title>bench</title></html>');
  }
  if (path === '/jobfile.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    return res.end(moduleText);
  }
  if (path === '/small' || path === '/big' || path === '/huge') {
    res.writeHead(200, { 'content-type': 'application/pdf' });
    return res.end(docs[path.slice(1)]);
  }
  if (path === '/out' && req.method === 'PUT') { // part n of upload `run`
    const q = new URL(req.url, 'http://x').searchParams;
    const run = q.get('run');
    if (!uploads.has(run)) uploads.set(run, []);
    const parts = [];
    req.on('data', (p) => parts.push(p));
    req.on('end', () => {
      uploads.get(run)[Number(q.get('n'))] = Buffer.concat(parts);
      res.writeHead(204);
      res.end();
    });
    return undefined;
  }
  res.writeHead(404);
  return res.end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const mbps = (bytes, ms) => (bytes / MB / (ms / 1000)).toFixed(1);
const heapMB = (b) => (b / MB).toFixed(1);

// resident bytes of the processes `pids`
function rss(pids) {
  let sum = 0;
  for (const pid of pids) {
    try {
      sum += Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
    } catch { /* gone */ }
  }
  return sum;
}

// mode: 'parts' (sealed into 8 MiB parts, each PUT to this server, two in
// flight: what the portal does), 'blob' (gathered into one Blob) or
// 'drop' (parts sealed and dropped: the encryption alone)
// pids: {renderer: [...], all: [...]} (all: the browser, GPU and utility
// processes too, where Blob data and request bodies live)
async function browserRun(page, cdp, pids, which, mode) {
  await page.evaluate(async (w) => {
    window.doc = await (await fetch(`/${w}`)).blob(); // loaded before the clock starts
  }, which);
  await cdp.send('HeapProfiler.collectGarbage');
  const before = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  const rssBefore = rss(pids.renderer);
  const allBefore = rss(pids.all);
  let peak = before;
  let rssPeak = rssBefore;
  let allPeak = allBefore;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, (await cdp.send('Runtime.getHeapUsage')).usedSize);
      rssPeak = Math.max(rssPeak, rss(pids.renderer));
      allPeak = Math.max(allPeak, rss(pids.all));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const run = String(runCount++);
  uploads.delete(String(run - 1)); // only the last one is kept
  const r = await page.evaluate(async ([key, how, run]) => {
    const { encryptJob } = await import('/jobfile.js');
    const info = { title: 'bench.pdf', format: 'application/pdf' };
    const t0 = performance.now();
    let outSize;
    if (how === 'blob') {
      window.out = await encryptJob(window.doc, info, key);
      outSize = window.out.size;
    } else {
      const inflight = [];
      let n = 0;
      const sink = how === 'drop' ? async () => {} : async (part) => {
        while (inflight.length >= 4) await inflight.shift();
        const body = new Blob([part]);
        const url = `/out?run=${run}&n=${n++}`;
        inflight.push(new Promise((ok, ko) => {
          const x = new XMLHttpRequest();
          x.open('PUT', url);
          x.onload = () => (x.status < 300 ? ok() : ko(new Error(`part: ${x.status}`)));
          x.onerror = () => ko(new Error('part'));
          x.send(body);
        }));
      };
      outSize = (await encryptJob(window.doc, info, key, { sink })).size;
      await Promise.all(inflight);
    }
    return { ms: performance.now() - t0, size: window.doc.size, outSize };
  }, [spki, mode, run]);
  sampling = false;
  await sampler;
  const after = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  return { ...r, run, mode, before, peak, after, rssBefore, rssPeak, allBefore, allPeak };
}

try {
  // OpenSSL's AES-256-GCM on this machine, 256 KiB blocks (the chunk size)
  const speed = execFileSync('openssl', ['speed', '-elapsed', '-evp', 'aes-256-gcm', '-bytes', '262144', '-seconds', '2'],
    { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const kbps = Number(/aes-256-gcm\s+([\d.]+)k/i.exec(speed)[1]);
  // Node's WebCrypto, the same module
  const { encryptJob } = await import(pathToFileURL(join(src, 'web/shared/jobfile.js')));
  const nodeBlob = new Blob([docs.big]);
  const t0 = performance.now();
  await encryptJob(nodeBlob, { title: 'bench.pdf' }, spki);
  const nodeMs = performance.now() - t0;

  const browser = await launch();
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await page.goto(`${origin}/`);
  const bcdp = await browser.newBrowserCDPSession();
  const procs = (await bcdp.send('SystemInfo.getProcessInfo')).processInfo;
  const pids = { renderer: procs.filter((p) => p.type === 'renderer').map((p) => p.id), all: procs.map((p) => p.id) };
  await browserRun(page, cdp, pids, 'small', 'parts'); // warm-up: JIT and the crypto thread pool
  const runs = [];
  for (const [which, mode] of [['small', 'parts'], ['huge', 'parts'], ['big', 'drop'], ['big', 'blob'], ['big', 'parts']])
    runs.push(await browserRun(page, cdp, pids, which, mode));
  const big = runs[runs.length - 1]; // its upload is the one checked below
  await close(browser);

  const file = join(tmp, 'out.srjob');
  writeFileSync(file, Buffer.concat(uploads.get(big.run)));
  const shown = spawnSync(srctl, ['job', 'show', file, '--secret-file', secret, '--document', join(tmp, 'doc')]);
  const same = shown.status === 0 &&
    createHash('sha256').update(readFileSync(join(tmp, 'doc'))).digest('hex') ===
    createHash('sha256').update(docs.big).digest('hex');

  console.log(`browser-encrypt: web/shared/jobfile.js (job file v2, 256 KiB chunks), ${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`  chromium's processes measured: ${procs.map((p) => p.type).join(', ')}`);
  const what = { parts: 'encrypted and uploaded in 8 MiB parts', blob: 'encrypted into one Blob', drop: 'encrypted, output dropped' };
  for (const r of runs) {
    const name = `${(r.size / MB).toFixed(0)} MB`;
    console.log(`  chromium ${name} ${what[r.mode]}: ${(r.ms / 1000).toFixed(2)} s = ${mbps(r.size, r.ms)} MB/s; JS heap before ${heapMB(r.before)} MB, peak ${heapMB(r.peak)} MB, after ${heapMB(r.after)} MB; resident memory at its peak: renderer +${heapMB(r.rssPeak - r.rssBefore)} MB, all of chromium +${heapMB(r.allPeak - r.allBefore)} MB`);
  }
  console.log(`  node ${process.version} WebCrypto ${(docs.big.length / MB).toFixed(0)} MB: ${(nodeMs / 1000).toFixed(2)} s = ${mbps(docs.big.length, nodeMs)} MB/s`);
  console.log(`  openssl speed -evp aes-256-gcm (256 KiB blocks): ${(kbps * 1000 / MB).toFixed(0)} MB/s`);
  console.log(`  chromium output opened by srctl job show, same document: ${same ? 'yes' : 'NO'}`);
  const ok = same && Number(mbps(big.size, big.ms)) >= 50;
  console.log(`  target >= 50 MB/s in chromium, encrypted and uploaded: ${ok ? 'met' : 'NOT met'}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  server.close();
  rmSync(tmp, { recursive: true, force: true });
}
