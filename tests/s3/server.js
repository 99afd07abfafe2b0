// A real S3-compatible server (s3rver: checks SigV4 signatures) on loopback
// for the s3 storage plugin's tests.
//   node server.js PORT DIRECTORY [REQUEST_LOG]
// Listens on 127.0.0.1:PORT with the buckets `jobs` and `jobs-us`; prints "ready PORT"
// once it accepts connections. Keys: S3RVER / S3RVER. Run node with
// --openssl-legacy-provider: s3rver's list continuation tokens use DES.
//
// Virtual-hosted requests: use the host JOBS.s3.localhost (curl resolves
// *.localhost to 127.0.0.1 itself), endpoint http://s3.localhost:PORT.
//
// What this file adds to s3rver 5.0.0, and why:
// - s3rver checks the signature of a virtual-hosted request over
//   /BUCKET/KEY (the SigV2 rule); SigV4, as AWS computes it, signs the path
//   that was sent (/KEY). The check here runs s3rver's own verification
//   over the path as sent.
// - s3rver has no AbortMultipartUpload (405). Here, once s3rver has
//   verified the signature, it removes the upload's parts from DIRECTORY.
// - REQUEST_LOG (optional): one JSON line per request, written before the
//   answer is sent: method, path, query names, encryption headers, the
//   signed header names and the status. Tests read what a client sent.
// - Faults chosen by the key's directory, for retry tests:
//   `once-503/` the first request per method and URL answers 503 SlowDown,
//   `once-500/` the same with 500 InternalError,
//   `part2-fails/` every UploadPart number 2 answers 500 InternalError,
//   `complete-fails/` every CompleteMultipartUpload answers 200 with an
//   <Error> document (as S3 may once it has started answering),
//   `cut-body/` a GetObject sends its first chunk (64 KiB) of the object,
//   then closes the connection.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Readable } = require('node:stream');

const [port, directory, requestLog] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
if (!port || !directory) {
  console.error('usage: node server.js PORT DIRECTORY [REQUEST_LOG]');
  process.exit(64);
}

const S3Error = require('@20minutes/s3rver/lib/models/error');

// The upload's directory in s3rver's store, or null for a malformed id.
function uploadDir(bucket, uploadId) {
  if (!/^[0-9a-f]{32}$/.test(uploadId)) return null; // s3rver's ids: 16 random bytes, hex
  return path.join(directory, bucket, '._S3rver_uploads', uploadId);
}

async function abortMultipartUpload(ctx) {
  const dir = uploadDir(ctx.params.bucket, String(ctx.query.uploadId));
  if (!dir || !fs.existsSync(dir)) {
    throw new S3Error('NoSuchUpload', 'The specified upload does not exist.');
  }
  await fs.promises.rm(dir, { recursive: true });
  ctx.status = 204;
}

// Wraps s3rver's authentication (before s3rver's routes load it).
const authPath = require.resolve('@20minutes/s3rver/lib/middleware/authentication');
const stockAuthentication = require(authPath);
require.cache[authPath].exports = () => {
  const verify = stockAuthentication();
  return async function authentication(ctx, next) {
    const afterVerify = () =>
      ctx.method === 'DELETE' && 'uploadId' in ctx.query && ctx.params.key
        ? abortMultipartUpload(ctx)
        : next();
    if (!ctx.state.vhost) return verify(ctx, afterVerify);
    // Present the path as sent, as if path-style, while s3rver verifies.
    const saved = { params: ctx.params, mountPath: ctx.mountPath };
    const [first, ...rest] = ctx.originalUrl.split('?')[0].slice(1).split('/').map(decodeURIComponent);
    ctx.params = { ...ctx.params, bucket: first || undefined, key: rest.length ? rest.join('/') : undefined };
    ctx.state.vhost = false;
    ctx.mountPath = '';
    let restored = false;
    const restore = () => {
      if (restored) return;
      restored = true;
      ctx.params = saved.params;
      ctx.mountPath = saved.mountPath;
      ctx.state.vhost = true;
    };
    try {
      return await verify(ctx, () => {
        restore();
        return afterVerify();
      });
    } finally {
      restore();
    }
  };
};

const S3rver = require('@20minutes/s3rver');

const answered = new Set(); // method + URL of requests the `once-` faults have failed

async function drain(req) {
  for await (const _ of req); // answer after the whole body, as S3 does
}

async function fault(ctx) {
  const url = ctx.originalUrl;
  const once = /\/once-(503|500)\//.exec(url.split('?')[0]);
  if (once && !answered.has(`${ctx.method} ${url}`)) {
    answered.add(`${ctx.method} ${url}`);
    await drain(ctx.req);
    throw once[1] === '503'
      ? new S3Error('SlowDown', 'Please reduce your request rate.')
      : new S3Error('InternalError', 'We encountered an internal error. Please try again.');
  }
  if (/\/part2-fails\//.test(url) && ctx.method === 'PUT' && ctx.query.partNumber === '2') {
    await drain(ctx.req);
    throw new S3Error('InternalError', 'We encountered an internal error. Please try again.');
  }
  if (/\/complete-fails\//.test(url) && ctx.method === 'POST' && 'uploadId' in ctx.query) {
    await drain(ctx.req);
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = new S3Error('InternalError', 'We encountered an internal error. Please try again.').toXML();
    return true;
  }
  return false;
}

// Sends the first chunk of the object's stream, then closes the connection
// (its Content-Length still announces the whole object).
function cutBody(ctx) {
  const object = ctx.body;
  const length = ctx.length;
  ctx.body = Readable.from(
    (async function* firstChunkOnly() {
      for await (const chunk of object) {
        yield chunk;
        break;
      }
      object.destroy();
      ctx.res.socket.end(); // after what was written: the client sees a short body
    })()
  );
  ctx.length = length;
}

function logRequest(ctx, status) {
  if (!requestLog) return;
  const auth = ctx.get('authorization');
  const signed = /SignedHeaders=([^,]*)/.exec(auth);
  const line = {
    method: ctx.method,
    host: ctx.get('host'),
    path: ctx.originalUrl.split('?')[0],
    query: Object.keys(ctx.query).sort(),
    sse: ctx.get('x-amz-server-side-encryption') || null,
    kms_key_id: ctx.get('x-amz-server-side-encryption-aws-kms-key-id') || null,
    signed: signed ? signed[1].split(';') : [],
    status,
  };
  fs.appendFileSync(requestLog, `${JSON.stringify(line)}\n`);
}

const server = new S3rver({
  port,
  address: '127.0.0.1',
  directory,
  silent: true,
  serviceEndpoint: 'localhost', // JOBS.s3.localhost is the bucket JOBS
  configureBuckets: [{ name: 'jobs' }, { name: 'jobs-us' }],
});
server.middleware.unshift(async (ctx, next) => {
  try {
    if (!(await fault(ctx))) await next();
    if (ctx.method === 'GET' && ctx.status === 200 && /\/cut-body\//.test(ctx.path)) cutBody(ctx);
    logRequest(ctx, ctx.status);
  } catch (err) {
    logRequest(ctx, err.status || 500);
    throw err;
  }
});
server
  .run()
  .then((address) => console.log(`ready ${address.port}`))
  .catch((err) => {
    console.error(`s3rver: ${err.message}`);
    process.exit(1);
  });
