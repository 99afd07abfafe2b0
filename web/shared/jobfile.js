// Job file format version 2, written in the browser (or Node >= 18) with
// WebCrypto only: the document never leaves the machine unencrypted, and
// only the site holding the private half of `siteSpki` can open it.
// core/jobfile_format.h is the byte layout; core/submit_key.h the key.
//
//   header (169 bytes): magic, version 2, length, key agreement 2 (ECDH
//     P-256 + HKDF-SHA256), compression 0, chunk size, key id (SHA-256 of
//     the SPKI, 8 bytes), file id, ephemeral public key (65 bytes), and the
//     data key under AES-256-GCM with key HKDF(ECDH, salt file id,
//     info "securerelease job v2" || key id), bytes 0..108 as AAD;
//   record 0: the job information (JSON); records 1..n: the document in
//     chunks, each AES-256-GCM under the data key, nonce 4 zero bytes and
//     the index, AAD SHA-256(header) || the 32-byte record head.
//
// The file is read a batch of chunks at a time (its stream, else
// Blob.slice), each batch sealed at once, and the output either gathered
// into Blobs every 8 MiB or handed on in parts (an upload in parts: then
// memory holds a few batches and parts whatever the document's size).

const MAGIC = [0x53, 0x52, 0x4a, 0x4f, 0x42, 0x00, 0x0d, 0x0a]; // "SRJOB\0\r\n"
const HEADER_LEN = 169;
const OFF = { chunk: 16, keyId: 20, fileId: 28, eph: 44, nonce: 109, wrapped: 121 };
const WRAP_AAD_LEN = 109;
const RECORD_HEAD = 32;
const TAG_LEN = 16;
const TYPE_INFO = 1;
const TYPE_DATA = 2;
const MIN_CHUNK = 1024;
const MAX_CHUNK = 4 * 1024 * 1024;
const MAX_INFO = 64 * 1024;
const DEFAULT_CHUNK = 256 * 1024;
const IN_FLIGHT = 4; // chunks sealed at once: WebCrypto runs them off the main thread
const FLUSH_BYTES = 8 * 1024 * 1024; // gather output parts into one Blob this often
const DEFAULT_PART = 8 * 1024 * 1024; // bytes of job file per part handed to a sink

const subtle = () => {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new Error('WebCrypto is not available (an https page or Node 18 or later is needed)');
  return s;
};

function fromB64url(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new Error('the site key is not base64url');
  }
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out;
}

function be32(view, off, v) {
  view.setUint32(off, v, false);
}

function be64(view, off, v) {
  view.setUint32(off, Math.floor(v / 2 ** 32), false);
  view.setUint32(off + 4, v >>> 0, false);
}

async function sha256(bytes) {
  return new Uint8Array(await subtle().digest('SHA-256', bytes));
}

// "SHA256:" and the SHA-256 of the SPKI DER in groups of four hex digits:
// the same text as the C side (sr_submit_key_fingerprint) prints.
export async function fingerprint(spkiB64url) {
  const digest = await sha256(fromB64url(spkiB64url));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return `SHA256:${hex.match(/.{4}/g).join(':')}`;
}

// The header and an AES-GCM key for the records.
async function sealHeader(spki, chunkSize) {
  const s = subtle();
  const siteKey = await s.importKey('spki', spki, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  // not extractable: only its public half (always exportable) leaves
  const eph = await s.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  const ephRaw = new Uint8Array(await s.exportKey('raw', eph.publicKey));
  const shared = await s.deriveBits({ name: 'ECDH', public: siteKey }, eph.privateKey, 256);
  const keyId = (await sha256(spki)).subarray(0, 8);
  const fileId = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const info = new Uint8Array(20 + 8);
  info.set(new TextEncoder().encode('securerelease job v2'));
  info.set(keyId, 20);
  const ikm = await s.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  const wrapKey = await s.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: fileId, info }, ikm,
    { name: 'AES-GCM', length: 256 }, false, ['encrypt']);

  const h = new Uint8Array(HEADER_LEN);
  const view = new DataView(h.buffer);
  h.set(MAGIC, 0);
  view.setUint16(8, 2, false);
  view.setUint16(10, HEADER_LEN, false);
  h[12] = 2; // ECDH P-256 + HKDF-SHA256
  h[13] = 0; // no compression
  be32(view, OFF.chunk, chunkSize);
  h.set(keyId, OFF.keyId);
  h.set(fileId, OFF.fileId);
  h.set(ephRaw, OFF.eph);
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(12));
  h.set(nonce, OFF.nonce);
  // the data key: random bytes, wrapped, imported for the records (not
  // extractable), then wiped from this buffer
  const raw = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const wrapped = new Uint8Array(await s.encrypt(
    { name: 'AES-GCM', iv: nonce, additionalData: h.subarray(0, WRAP_AAD_LEN) }, wrapKey, raw));
  h.set(wrapped, OFF.wrapped); // 32 bytes of wrapped key, then the 16-byte tag
  const dataKey = await s.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
  raw.fill(0);
  return { header: h, fileId, dataKey, digest: await sha256(h) };
}

// The bytes of `file` in pieces of `size` (the last one shorter): from its
// stream where there is one (one pipe: much faster in chromium than a
// Blob.slice read per piece), else by slices.
async function* batches(file, size) {
  if (typeof file.stream !== 'function') {
    for (let off = 0; off < file.size; off += size) {
      yield new Uint8Array(await file.slice(off, off + size).arrayBuffer());
    }
    return;
  }
  const stream = file.stream();
  let byob = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    byob = null; // not a byte stream here
  }
  if (byob) {
    // read into one buffer, again and again: sealing copies what it seals
    // before the next batch is asked for, so nothing is kept
    let buffer = new ArrayBuffer(size);
    for (;;) {
      let fill = 0;
      let done = false;
      while (fill < size && !done) {
        const r = await byob.read(new Uint8Array(buffer, fill, size - fill));
        done = r.done;
        if (r.value) {
          buffer = r.value.buffer;
          fill += r.value.byteLength;
        }
      }
      if (fill) yield new Uint8Array(buffer, 0, fill);
      if (done || fill < size) return;
    }
  }
  const reader = stream.getReader();
  let buf = new Uint8Array(size);
  let fill = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let off = 0;
    while (off < value.byteLength) {
      if (fill === 0 && value.byteLength - off >= size) {
        yield value.subarray(off, off + size); // whole piece in the stream's buffer: no copy
        off += size;
      } else {
        const take = Math.min(size - fill, value.byteLength - off);
        buf.set(value.subarray(off, off + take), fill);
        fill += take;
        off += take;
        if (fill === size) {
          yield buf;
          buf = new Uint8Array(size);
          fill = 0;
        }
      }
    }
  }
  if (fill) yield buf.subarray(0, fill);
}

// One record: the 32-byte head then ciphertext and tag, as one Blob part.
async function sealRecord(ctx, type, final, index, plain) {
  const head = new Uint8Array(RECORD_HEAD);
  const view = new DataView(head.buffer);
  head[0] = type;
  head[1] = final ? 1 : 0;
  be32(view, 4, plain.byteLength);
  be64(view, 8, index);
  head.set(ctx.fileId, 16);
  const aad = new Uint8Array(32 + RECORD_HEAD);
  aad.set(ctx.digest, 0);
  aad.set(head, 32);
  const nonce = new Uint8Array(12);
  be64(new DataView(nonce.buffer), 4, index);
  const sealed = await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad },
    ctx.dataKey, plain);
  return [head, new Uint8Array(sealed)];
}

// The job file's size for a document of `docSize` bytes with `info`,
// known before a byte is sealed: what an upload in parts declares first.
export function sealedSize(docSize, info, { chunkSize } = {}) {
  const chunk = chunkSize || DEFAULT_CHUNK;
  const infoLen = new TextEncoder().encode(JSON.stringify(info || {})).byteLength;
  const count = Math.max(1, Math.ceil(docSize / chunk));
  return HEADER_LEN + (RECORD_HEAD + TAG_LEN) * (1 + count) + infoLen + docSize;
}

// The output, in one of two ways: gathered into a Blob (no `sink`), or
// cut into parts of exactly `partSize` bytes (the last one shorter), each
// handed to `await sink(part)` as soon as it is full, so that memory holds
// one part being filled and what the sink keeps, whatever the size. The
// part's bytes are the sink's only until its promise resolves.
function output(header, sink, partSize) {
  if (!sink) {
    const blobs = [];
    let parts = [header];
    let pending = header.byteLength;
    return {
      async push(pieces) {
        for (const p of pieces) {
          parts.push(p);
          pending += p.byteLength;
        }
        if (pending >= FLUSH_BYTES) {
          blobs.push(new Blob(parts));
          parts = [];
          pending = 0;
        }
      },
      async end() {
        blobs.push(new Blob(parts));
        return new Blob(blobs, { type: 'application/octet-stream' });
      },
    };
  }
  // one buffer for every part: the sink is done with a part's bytes (has
  // copied them: new Blob([part]) does) when its promise resolves
  const part = new Uint8Array(partSize);
  let fill = 0;
  let total = 0;
  const out = {
    async push(pieces) {
      for (const p of pieces) {
        for (let off = 0; off < p.byteLength;) {
          const take = Math.min(partSize - fill, p.byteLength - off);
          part.set(p.subarray(off, off + take), fill);
          fill += take;
          off += take;
          if (fill === partSize) {
            total += partSize;
            await sink(part);
            fill = 0;
          }
        }
      }
    },
    async end() {
      if (fill) await sink(part.subarray(0, fill));
      return { size: total + fill };
    },
  };
  return out.push([header]).then(() => out);
}

// Encrypts `file` (a Blob or File) for the site whose public submission key
// is `siteSpkiB64url`, with `info` (title, format, size, submitted_at...)
// inside. Resolves to a Blob of type application/octet-stream: the job
// file; or, given `sink` (and `partSize`, default 8 MiB), hands the job
// file to `sink` in parts and resolves to { size }. `onProgress(doneBytes,
// totalBytes)` is called after each batch of chunks. `chunkSize`: bytes of
// document per record (1 KiB to 4 MiB).
export async function encryptJob(file, info, siteSpkiB64url, { onProgress, chunkSize, sink, partSize } = {}) {
  const chunk = chunkSize || DEFAULT_CHUNK;
  if (!Number.isInteger(chunk) || chunk < MIN_CHUNK || chunk > MAX_CHUNK) {
    throw new Error(`chunkSize must be a whole number from ${MIN_CHUNK} to ${MAX_CHUNK}`);
  }
  const part = partSize || DEFAULT_PART;
  if (sink && (!Number.isInteger(part) || part < HEADER_LEN)) throw new Error('partSize is too small');
  const infoBytes = new TextEncoder().encode(JSON.stringify(info || {}));
  if (infoBytes.byteLength > MAX_INFO) throw new Error('the job information is too long');
  const spki = fromB64url(siteSpkiB64url);
  const ctx = await sealHeader(spki, chunk);
  const out = await output(ctx.header, sink, part);
  await out.push(await sealRecord(ctx, TYPE_INFO, false, 0, infoBytes));

  const total = file.size;
  const count = Math.max(1, Math.ceil(total / chunk)); // an empty document has one empty chunk
  let index = 1;
  let read = 0;
  for await (const batch of batches(file, IN_FLIGHT * chunk)) {
    const sealing = [];
    for (let off = 0; off < batch.byteLength; off += chunk) {
      const piece = batch.subarray(off, Math.min(batch.byteLength, off + chunk));
      sealing.push(sealRecord(ctx, TYPE_DATA, index === count, index, piece));
      index += 1;
    }
    const records = await Promise.all(sealing);
    read += batch.byteLength;
    if (read > total) break;
    await out.push(records.flat());
    if (onProgress) onProgress(read, total);
  }
  if (read !== total) throw new Error('the file changed while it was being read');
  if (total === 0) {
    await out.push(await sealRecord(ctx, TYPE_DATA, true, 1, new Uint8Array(0)));
    if (onProgress) onProgress(0, 0);
  }
  return out.end();
}
