// The cloud's REST API for the portal, same origin, with the browser
// session's cookie (HttpOnly: this script never sees it). Every call but
// GET carries the session's CSRF token, learnt from GET /api/v1/session,
// in X-CSRF-Token; the browser adds Origin itself. (A stand-in with the
// behaviour of web/shared/api.js, whose owner writes it in parallel: the
// portal moves to that one when both are merged.)

let csrf = '';

export class ApiError extends Error {
  constructor(status, code, message, detail) {
    super(message);
    this.status = status; // 0: no answer at all
    this.code = code;
    this.detail = detail || {};
  }
}

async function answer(res) {
  if (res.status === 204) return null;
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.ok) return body;
  const e = (body && body.error) || {};
  // detail: the error object, and what the answer says beside it (daily_left...)
  throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || res.statusText, { ...body, ...e });
}

// One call: resolves to the JSON answer (null for 204), rejects with an
// ApiError. `path` is below /api/v1.
export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
    });
  } catch {
    throw new ApiError(0, 'offline', 'no answer');
  }
  return answer(res);
}

// The signed-in session {tenant, user, email, name, role, csrf,
// expires_at}, or null when nobody is signed in (401).
export async function session() {
  try {
    const s = await call('GET', '/session');
    csrf = s.csrf || '';
    return s;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

export async function signOut() {
  await call('DELETE', '/session');
  csrf = '';
}

// Sends `blob` (application/octet-stream) to `path` (POST, or `method`)
// with upload progress: onProgress(sent, total). Resolves to the JSON
// answer; rejects with an ApiError (code 'aborted' when `signal` aborted
// it). XHR, because fetch reports no upload progress.
export function upload(path, blob, { onProgress, signal, method = 'POST' } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, `/api/v1${path}`);
    xhr.withCredentials = false; // same origin: the cookie goes anyway
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.responseType = 'text';
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : blob.size);
    xhr.onload = () => {
      let body = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body);
      const e = (body && body.error) || {};
      reject(new ApiError(xhr.status, e.code || `http_${xhr.status}`, e.message || xhr.statusText, { ...body, ...e }));
    };
    xhr.onerror = () => reject(new ApiError(0, 'offline', 'no answer'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'cancelled'));
    if (signal) signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(blob);
  });
}
