// The panel API (docs/api/panel.yaml), same origin. The session token
// lives in this module's memory, and on phones also in sessionStorage (so
// a reload of the tab keeps the login; it ends with the tab). It is sent
// only as an Authorization header: never in a URL, never as a cookie, so
// no other site can make the browser use it (no CSRF), and every request
// with a body is JSON, which no plain form can send.

const SESSION_KEY = 'sr.session';

let session = null; // {token, user, device}
let keep = false; // remember in sessionStorage (not on a shared kiosk)

export class ApiError extends Error {
  constructor(status, code, message, retryAfter, detail) {
    super(message);
    this.status = status; // 0: no answer at all
    this.code = code;
    this.retryAfter = retryAfter; // seconds, or 0
    this.detail = detail || {}; // the error object as the API sent it
  }
}

export function useSessionStorage(on) {
  keep = on;
  if (!on) return;
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    if (saved && saved.token) session = saved;
  } catch {
    /* a broken entry is no session */
  }
}

export function currentSession() {
  return session;
}

export function setSession(s) {
  session = s;
  if (!keep) return;
  if (s) sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else sessionStorage.removeItem(SESSION_KEY);
}

// One call: resolves to the JSON answer (null for 204), rejects with an
// ApiError. `bearer`: the session's token unless given (a panel credential).
export async function call(method, path, body, bearer) {
  const headers = {};
  const token = bearer !== undefined ? bearer : session && session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v1/panel${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
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
  const retry = Number(e.retry_after || res.headers.get('Retry-After') || 0);
  throw new ApiError(res.status, e.code || 'http', e.message || '', retry, e);
}
