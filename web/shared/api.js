// The cloud's REST API (docs/api/cloud.yaml) for the console and the
// portal, same origin. The session is the HttpOnly cookie the browser
// holds (this code never sees it); a call that changes anything carries
// the session's CSRF token in X-CSRF-Token, learnt from GET
// /api/v1/session and kept only in this module's memory, and the browser
// adds Origin itself: the cloud refuses the call without both
// (docs/console.md, "Sessions").

let session = null; // GET /api/v1/session's answer
let pending = null;

export class ApiError extends Error {
  constructor(status, code, message, detail) {
    super(message || code);
    this.status = status; // 0: no answer at all
    this.code = code;
    this.detail = detail || {};
  }
}

async function send(method, path, body, headers) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
    });
  } catch {
    throw new ApiError(0, 'network', 'no answer');
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    /* not JSON: a proxy's page, say */
  }
  if (res.ok) return data;
  const e = (data && data.error) || {};
  throw new ApiError(res.status, e.code || 'http', e.message || '', e);
}

// The signed-in session ({tenant, user, email, name, role, csrf,
// expires_at}), asked once; rejects with an ApiError 401 when there is none.
export function currentSession() {
  if (session) return Promise.resolve(session);
  if (!pending) {
    pending = send('GET', '/api/v1/session', undefined, {}).then((s) => {
      session = s;
      return s;
    }).finally(() => { pending = null; });
  }
  return pending;
}

// One call to /api/v1 + `path`: resolves to the JSON answer (null for
// 204), rejects with an ApiError.
export async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const s = await currentSession();
    headers['X-CSRF-Token'] = s.csrf;
  }
  return send(method, `/api/v1${path}`, body, headers);
}

// Signs out here and at the cloud (the cookie is cleared by its answer).
export async function signOut() {
  try {
    await api('DELETE', '/session');
  } finally {
    session = null;
  }
}

// "a=1&b=x%20y" from {a: 1, b: 'x y', c: ''} (empty values left out).
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
