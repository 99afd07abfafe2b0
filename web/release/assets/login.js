// Logging in on a phone or desktop: email and PIN, passcode, company
// (directory) account, or single sign-on (OpenID Connect authorization
// code with PKCE, when the tenant has it). The kiosk has its own screens
// (kiosk.js) over the same logIn().

import { S } from './strings.js';
import { h, show, field, uid, ready } from './dom.js';
import * as api from './api.js';
import { errorText } from './errors.js';

// POST sessions with `creds` plus what this page knows: the device, the
// rotating code it was opened with, the kiosk's credential, a card to
// bind. True once logged in (the job list is then shown).
export async function logIn(ctx, creds) {
  performance.mark('sr:login-sent');
  const body = { device: ctx.device, ...creds };
  if (ctx.code) body.code = ctx.code;
  if (ctx.panelCredential) body.panel = ctx.panelCredential;
  if (ctx.cardBinding && !creds.card) body.bind_card = ctx.cardBinding;
  try {
    const r = await api.call('POST', '/sessions', body, null);
    ctx.cardBinding = null;
    ctx.say(r.card_bound ? S.errors.cardBound : '', 'ok');
    ctx.loggedIn({ token: r.session, user: r.user, device: ctx.device });
    return true;
  } catch (e) {
    if (e.code === 'card_unknown' && e.detail.card_binding) ctx.cardBinding = e.detail.card_binding;
    if (ctx.loginRefused && ctx.loginRefused(e)) return false; // the kiosk's own answer
    let text = errorText(e);
    if (e.code === 'code_expired' && ctx.code) {
      ctx.forgetCode();
      // where static labels count, the same form logs in without the code
      if (ctx.info.release_codes !== 'rotating') text = S.errors.codeExpiredRetry;
    }
    // the tenant may have turned to rotating codes since the page opened
    if (e.code === 'presence_required' && !ctx.kiosk) ctx.info.release_codes = 'rotating';
    ctx.say(text, 'error');
    // a phone with no valid code can only scan again: no form to retry
    if (!ctx.kiosk && ctx.info.release_codes === 'rotating' && !ctx.code) ctx.showLogin();
    return false;
  }
}

// A form whose submit button shows progress and which logs in with
// creds() (null: not sent).
export function loginForm(ctx, fields, creds) {
  const button = h('button', { type: 'submit', class: 'primary' }, S.logIn);
  const form = h('form', { class: 'login', novalidate: true }, fields.map((f) => f.el), button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const c = creds();
    if (!c) return;
    button.disabled = true;
    button.textContent = S.loggingIn;
    const ok = await logIn(ctx, c);
    if (!ok) {
      button.disabled = false;
      button.textContent = S.logIn;
      const first = fields.find((f) => f.input.type === 'password') || fields[0];
      first.input.select();
      first.input.focus();
    }
  });
  return form;
}

// Each way to log in: its form.
const forms = {
  pin(ctx) {
    const email = field(S.email, { type: 'email', name: 'email', autocomplete: 'email', required: true });
    const pin = field(S.pin, { type: 'password', name: 'pin', inputmode: 'numeric', autocomplete: 'off', required: true });
    return loginForm(ctx, [email, pin], () => ({ email: email.input.value.trim(), pin: pin.input.value }));
  },
  passcode(ctx) {
    const code = field(S.passcode, { type: 'text', name: 'passcode', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', required: true }, S.passcodeHint);
    return loginForm(ctx, [code], () => ({ passcode: code.input.value.trim() }));
  },
  directory(ctx) {
    const user = field(S.username, { type: 'text', name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true });
    const pass = field(S.password, { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
    return loginForm(ctx, [user, pass], () => ({ username: user.input.value.trim(), password: pass.input.value }));
  },
  oidc(ctx) {
    const button = h('button', { type: 'button', class: 'primary' }, S.oidcButton);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await startOidc(ctx);
      } catch (e) {
        ctx.say(errorText(e), 'error');
        button.disabled = false;
      }
    });
    return h('div', { class: 'login' }, h('p', {}, S.oidcExplain), button);
  },
};

let chosen = 'pin';
let preferred = null; // chosen once the printer offers it (single sign-on to start again)

export function preferMethod(method) {
  preferred = method;
}

export function methodsOf(ctx) {
  const m = [['pin', S.methodPin], ['passcode', S.methodPasscode], ['directory', S.methodDirectory]];
  if (ctx.info.oidc) m.push(['oidc', S.methodOidc]);
  return m;
}

export function loginView(ctx) {
  if (ctx.info.release_codes === 'rotating' && !ctx.code) {
    show(ctx.view, h('h2', {}, S.loginHeading), h('p', { class: 'lead' }, S.scanRotating));
    return;
  }
  if (preferred && methodsOf(ctx).some(([m]) => m === preferred)) {
    chosen = preferred;
    preferred = null;
  }
  if (!forms[chosen] || (chosen === 'oidc' && !ctx.info.oidc)) chosen = 'pin';
  // shown again once the printer's info is in (a way to log in more): the
  // form being filled in stays as it is, with what was typed and the focus
  const shown = ctx.login && ctx.view.contains(ctx.login.holder) && ctx.login.method === chosen ? ctx.login : null;
  const holder = shown ? shown.holder : h('div', { class: 'method-form' });
  const chooser = h('fieldset', { class: 'methods' }, h('legend', {}, S.methodLegend),
    methodsOf(ctx).map(([value, text]) => {
      const id = uid('m');
      return h('span', { class: 'method' },
        h('input', { type: 'radio', name: 'method', id, value, checked: value === chosen,
          onchange: () => { chosen = value; ctx.login.method = value; show(holder, forms[chosen](ctx)); } }),
        h('label', { for: id }, text));
    }));
  if (shown) {
    shown.chooser.replaceWith(chooser);
    shown.chooser = chooser;
    return;
  }
  show(holder, forms[chosen](ctx));
  ctx.login = { holder, chooser, method: chosen };
  show(ctx.view, h('h2', { tabindex: '-1' }, S.loginHeading), chooser, holder);
  ready('login');
}

// --- single sign-on: authorization code with PKCE (RFC 7636) ---

const OIDC_KEY = 'sr.oidc';

function base64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(n) {
  return base64url(crypto.getRandomValues(new Uint8Array(n)));
}

// Sends the browser to the provider; the verifier, state and nonce wait
// in this tab's sessionStorage for the way back (/oidc/callback).
async function startOidc(ctx) {
  const cfg = await api.call('GET', '/oidc', undefined, null);
  const verifier = randomText(32);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = randomText(16), nonce = randomText(16);
  sessionStorage.setItem(OIDC_KEY, JSON.stringify({ state, nonce, verifier, device: ctx.device, code: ctx.code, kiosk: ctx.kiosk }));
  const url = new URL(cfg.authorization_endpoint);
  const q = { response_type: 'code', client_id: cfg.client_id, redirect_uri: `${location.origin}/oidc/callback`,
    scope: cfg.scope || 'openid email profile', state, nonce, code_challenge: challenge, code_challenge_method: 'S256' };
  for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v);
  location.assign(url.href);
}

// On /oidc/callback: checks the answer against what startOidc kept and
// takes the code out of the address at once. Returns {device, code,
// kiosk, finish(ctx)} to log in with, or {error} with the device, code
// and kiosk the tab started from (none if it started nothing).
export function finishOidc() {
  const q = new URLSearchParams(location.search);
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(OIDC_KEY) || 'null');
  } catch {
    saved = null;
  }
  sessionStorage.removeItem(OIDC_KEY);
  history.replaceState(null, '', '/oidc/callback');
  // refused: back to the printer's page this tab started from, if any, to
  // start again; an answer to no sign-on this tab started (a link someone
  // sent) shows none of its words: the page must not say what a stranger wrote
  const from = saved ? { device: saved.device, code: saved.code, kiosk: saved.kiosk } : {};
  if (!saved || q.get('state') !== saved.state) return { ...from, error: S.errors.oidcState };
  if (q.get('error')) return { ...from, error: S.errors.oidcDenied(q.get('error_description') || q.get('error')) };
  if (!q.get('code')) return { ...from, error: S.errors.oidcState };
  const authCode = q.get('code');
  return {
    ...from,
    async finish(ctx) {
      show(ctx.view, h('p', { class: 'loading' }, S.oidcFinishing));
      api.useSessionStorage(!saved.kiosk);
      const ok = await logIn(ctx, { oidc_code: authCode, code_verifier: saved.verifier,
        redirect_uri: `${location.origin}/oidc/callback`, nonce: saved.nonce });
      if (!ok) ctx.showLogin();
    },
  };
}
