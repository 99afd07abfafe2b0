// The upload page: a PDF, JPEG or PNG is checked (type by its bytes, size
// against the user's limits), encrypted in this page to the site's public
// key (web/shared/jobfile.js: nothing leaves the page in the clear), then
// uploaded in parts as it is sealed, with both progresses shown. The site's key fingerprint is
// computed here from the key the page encrypts to, so that what the user
// compares with the administrator's is the key actually used.

import { S } from './strings.js';
import { call, upload } from './api.js';
import { h, show, say, ready } from './dom.js';
import { start, app, errorText, ended } from './frame.js';
import { sniff } from './filetype.js';

const me = await start('upload');

// What the page needs before a file can be taken: the limits, the site's
// key, and the encryptor (loaded here, not imported statically, so that a
// server without it still shows why the page cannot upload).
async function prerequisites() {
  const missing = (e) => {
    if (e.status === 404) return null;
    throw e;
  };
  const [limits, key, crypto] = await Promise.all([
    call('GET', '/me/upload-limits').catch(missing),
    call('GET', '/me/submission-key').catch(missing),
    import('/web/shared/jobfile.js').catch(() => null),
  ]);
  return { limits, key, crypto };
}

const PARTS_IN_FLIGHT = 4; // parts being sent at once (each its own request)

// Encrypts `file` and uploads the job file in parts as it is sealed (POST
// /me/part-uploads, a PUT per part, then complete): the page never holds
// the whole job file, so its memory does not grow with the document. Any
// failure or a cancel (`signal`) cancels the upload at the cloud too, so
// nothing half-uploaded stays. Resolves to the cloud's answer {id, state}.
async function sendInParts(crypto, file, info, spki, size, { onSealed, onSent, signal }) {
  const started = await call('POST', '/me/part-uploads', { size });
  const path = `/me/part-uploads/${encodeURIComponent(started.id)}`;
  const sent = [];
  const inflight = [];
  let n = 0;
  const cancelled = () => Object.assign(new Error('cancelled'), { code: 'aborted' });
  const sink = async (part) => {
    if (signal.aborted) throw cancelled();
    const body = new Blob([part]); // a copy: `part` is refilled once this resolves
    const i = n;
    n += 1;
    const sending = upload(`${path}?part=${i}`, body, {
      method: 'PUT',
      signal,
      onProgress: (bytes) => {
        sent[i] = bytes;
        onSent(sent.reduce((a, b) => a + (b || 0), 0));
      },
    });
    sending.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    inflight.push(sending);
    while (inflight.length >= PARTS_IN_FLIGHT) await inflight.shift();
  };
  try {
    await crypto.encryptJob(file, info, spki, { sink, partSize: started.part_size, onProgress: onSealed });
    onSealed(1, 1);
    await Promise.all(inflight);
    if (signal.aborted) throw cancelled();
    return await call('POST', `${path}/complete`);
  } catch (e) {
    call('DELETE', path).catch(() => {}); // the sweep drops it otherwise, within the hour
    throw e;
  }
}

function progressBar(id, label) {
  const bar = h('progress', { id, max: '100', value: '0' });
  const text = h('span', { class: 'progress-text', 'aria-hidden': 'true' }, S.progressText(0));
  return {
    el: h('div', { class: 'progress' }, h('label', { for: id }, label), bar, text),
    set(pct) {
      const p = Math.max(0, Math.min(100, Math.floor(pct)));
      bar.value = p;
      text.textContent = S.progressText(p);
    },
  };
}

function uploadPage({ limits, key, crypto }) {
  const msg = h('div', { role: 'status', 'aria-live': 'polite' });
  const alert = h('div', { role: 'alert' });
  const fp = h('code', { class: 'fingerprint' }, S.loading);
  const input = h('input', { type: 'file', id: 'file', class: 'visually-hidden', accept: 'application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png' });
  const accepted = h('p', { id: 'accepted', class: 'hint' });
  const drawLimits = () => {
    accepted.textContent = `${S.accepted(S.bytes(limits.max_size))} ${
      typeof limits.daily_left === 'number' ? S.dailyLeft(S.bytes(limits.daily_left)) : ''}`;
  };
  drawLimits();
  const zone = h('div', { class: 'dropzone', 'aria-describedby': 'accepted' },
    h('label', { for: 'file', class: 'button primary' }, S.chooseFile), input,
    h('span', { class: 'drop-hint' }, S.dropHere), accepted);
  const work = h('div', { class: 'work' });
  show(app(), h('h1', {}, S.uploadHeading), h('p', { class: 'lead' }, S.uploadIntro), alert, msg, zone, work,
    h('div', { class: 'keyinfo' }, h('h2', {}, S.siteKey), h('p', {}, fp), h('p', { class: 'hint' }, S.siteKeyHint)));
  crypto.fingerprint(key.spki).then((text) => { fp.textContent = text; }, () => { fp.textContent = '?'; });

  let busy = false;
  async function take(file) {
    if (busy || !file) return;
    say(alert, 'error', '');
    say(msg, 'info', '');
    if (file.size === 0) return say(alert, 'error', S.emptyFile(file.name));
    const type = await sniff(file);
    if (!type) return say(alert, 'error', S.wrongType(file.name));
    if (file.size > limits.max_size) return say(alert, 'error', S.tooLarge(file.name, S.bytes(limits.max_size)));
    const info = {
      title: file.name,
      format: type,
      size: file.size,
      submitted_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    // the day's allowance counts what is stored: the encrypted file, a little larger
    const sealedSize = crypto.sealedSize(file.size, info);
    if (typeof limits.daily_left === 'number' && sealedSize > limits.daily_left) return say(alert, 'error', S.overDaily(S.bytes(limits.daily_left)));
    busy = true;
    zone.hidden = true;
    input.disabled = true;
    const abort = new AbortController();
    const enc = progressBar('p-enc', S.encrypting);
    const up = progressBar('p-up', S.uploading);
    const cancel = h('button', { type: 'button', class: 'quiet', onclick: () => abort.abort() }, S.cancel);
    show(work, h('p', { class: 'filename' }, file.name, ' ', h('span', { class: 'hint' }, S.bytes(file.size))), enc.el, up.el, h('p', {}, cancel));
    try {
      const res = await sendInParts(crypto, file, info, key.spki, sealedSize, {
        onSealed: (done, total) => enc.set(total ? (100 * done) / total : 100),
        onSent: (sent) => up.set((100 * sent) / sealedSize),
        signal: abort.signal,
      });
      up.set(100);
      show(work);
      say(msg, 'ok', S.uploaded(file.name));
      work.append(h('p', { class: 'row' }, h('a', { class: 'button primary', href: '/portal/#jobs' }, S.seeJobs)));
      // the server's count when it gives one, else ours (it counts what it stored: the sealed size)
      if (res && typeof res.daily_left === 'number') limits.daily_left = res.daily_left;
      else if (typeof limits.daily_left === 'number') limits.daily_left = Math.max(0, limits.daily_left - sealedSize);
      drawLimits();
    } catch (e) {
      show(work);
      if (e.code === 'aborted') say(msg, 'info', S.cancelled);
      else if (ended(e)) return;
      else if (e.status === 413) {
        if (e.detail && typeof e.detail.max_size === 'number') limits.max_size = e.detail.max_size;
        say(alert, 'error', S.tooLarge(file.name, S.bytes(limits.max_size)));
      }
      else if (e.status === 429) {
        if (typeof e.detail.daily_left === 'number') limits.daily_left = e.detail.daily_left;
        drawLimits();
        say(alert, 'error', S.overDaily(S.bytes(limits.daily_left || 0)));
      }
      else if (e.status === undefined) say(alert, 'error', S.failed(e.message));
      else say(alert, 'error', e.status >= 500 || e.status === 0 ? `${S.uploadFailed} ${errorText(e)}` : errorText(e));
    } finally {
      busy = false;
      zone.hidden = false;
      input.disabled = false;
      input.value = '';
    }
  }

  input.addEventListener('change', () => take(input.files[0]));
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) take(f);
  });
}

if (me) {
  try {
    const pre = await prerequisites();
    if (!pre.crypto || !pre.limits) show(app(), h('h1', {}, S.uploadHeading), h('p', { class: 'msg error', role: 'alert' }, S.notAvailable));
    else if (!pre.key) show(app(), h('h1', {}, S.uploadHeading), h('p', { class: 'msg error', role: 'alert' }, S.noSiteKey));
    else uploadPage(pre);
  } catch (e) {
    if (!ended(e)) show(app(), h('h1', {}, S.uploadHeading), h('p', { class: 'msg error', role: 'alert' }, errorText(e)));
  }
  ready('upload');
}
