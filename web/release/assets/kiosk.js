// The kiosk layout (/panel/DEVICE) for a printer's own browser, 800x480
// or 1024x600, touch only: large targets, a PIN pad, a USB card reader
// that types the card number and Enter like a keyboard, the rotating QR
// code for phones, logging out after `idle` seconds without a touch
// (?idle=SECONDS in the address, 60 by default) and after "Print all".
// The panel's credential (from enrolling it once) stays in localStorage.

import { S } from './strings.js';
import { h, show, field } from './dom.js';
import * as api from './api.js';
import { errorText } from './errors.js';
import { logIn, loginForm } from './login.js';

const WARN_S = 10; // the idle warning shows this long before the logout
const CARD_GAP_MS = 1500; // keys further apart than this start a new card number

// ?NAME=SECONDS in the address, else `def` (also when out of range).
function seconds(params, name, def, min, max) {
  const given = params.get(name);
  if (given === null || given.trim() === '') return def; // Number('') is 0
  const v = Number(given);
  return Number.isFinite(v) && v >= min && v <= max ? v : def;
}

export function kioskStart(ctx) {
  import('./jobs.js'); // ready before the first swipe
  const params = new URLSearchParams(location.search);
  const idleS = seconds(params, 'idle', 60, 10, 3600);
  const afterPrintS = seconds(params, 'print_all_logout', 5, 0, 60);
  const credKey = `sr.panel.credential.${ctx.device}`;
  let onLogin = false; // the login screen is up (swipes count)
  let idleTimer = null, idleLeft = 0, qrTimer = null, tickTimer = null, printAllTimer = null;

  const credential = () => localStorage.getItem(credKey);
  // only a site service that has the kiosk routes takes a panel credential
  const useCredential = () => { ctx.panelCredential = ctx.info.known ? credential() : null; };

  // --- idle logout ---
  function stopIdle() {
    clearInterval(idleTimer);
    idleTimer = null;
  }
  function touched() {
    if (!idleTimer) return;
    if (idleLeft <= WARN_S) ctx.say('');
    idleLeft = idleS;
  }
  function startIdle() {
    stopIdle();
    idleLeft = idleS;
    idleTimer = setInterval(() => {
      idleLeft -= 1;
      if (idleLeft <= 0) {
        stopIdle();
        ctx.logOut(S.loggedOut);
      } else if (idleLeft <= WARN_S) {
        ctx.say(S.idleWarning(idleLeft), 'info');
      }
    }, 1000);
  }
  for (const ev of ['pointerdown', 'keydown', 'touchstart']) document.addEventListener(ev, touched, { passive: true, capture: true });

  // --- after login / logout ---
  const loggedIn = ctx.loggedIn;
  ctx.loggedIn = (session) => {
    onLogin = false;
    stopQr();
    loggedIn(session);
    startIdle();
  };
  ctx.loggedOut = (text) => {
    stopIdle();
    clearInterval(printAllTimer);
    if (ctx.stopJobs) ctx.stopJobs();
    api.setSession(null);
    ctx.showLogin();
    if (text) ctx.say(text, 'info');
  };
  ctx.afterRelease = (body, started) => {
    if (!body.all || !started) return;
    let left = afterPrintS;
    const tick = () => {
      if (left <= 0) {
        clearInterval(printAllTimer);
        ctx.logOut(S.loggedOutAfterPrint);
        return;
      }
      ctx.say(S.loggingOutAfterPrint(left), 'ok');
      left -= 1;
    };
    clearInterval(printAllTimer);
    printAllTimer = setInterval(tick, 1000);
    tick();
  };

  // A panel that is not enrolled where logins must be made at the printer
  // (release_codes: rotating) can log no one in: it needs its token.
  ctx.loginRefused = (e) => {
    if (e.code !== 'presence_required' || credential()) return false;
    enrollView();
    ctx.say(S.errors.panelNotEnrolled, 'error');
    return true;
  };

  // --- the card reader: digits typed fast, then Enter ---
  let card = '', lastKey = 0;
  document.addEventListener('keydown', (ev) => {
    if (!onLogin) return;
    const t = ev.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
    const now = performance.now();
    if (now - lastKey > CARD_GAP_MS) card = '';
    lastKey = now;
    if (ev.key === 'Enter') {
      if (card.length >= 3) {
        ev.preventDefault();
        performance.mark('sr:swipe');
        const number = card;
        card = '';
        ctx.say(S.loggingIn, 'info');
        logIn(ctx, { card: number });
      }
      card = '';
    } else if (ev.key.length === 1 && /[0-9A-Za-z:.\- ]/.test(ev.key)) {
      card += ev.key;
      ev.preventDefault();
    }
  });

  // --- the rotating QR code ---
  function stopQr() {
    clearTimeout(qrTimer);
    clearInterval(tickTimer);
  }
  async function showQr(box) {
    stopQr();
    if (!onLogin || !ctx.info.known || ctx.info.release_codes === 'static' || !credential()) return;
    let c;
    try {
      c = await api.call('GET', '/kiosk/code', undefined, credential());
    } catch (e) {
      if (e.code === 'reader_unknown') {
        localStorage.removeItem(credKey);
        ctx.say(errorText(e), 'error');
        return enrollView();
      }
      if (e.status !== 404 && e.code !== 'rotating_disabled') qrTimer = setTimeout(() => showQr(box), 10000);
      return;
    }
    if (!onLogin) return;
    // a new code a little before this one runs out; the note counts down to it
    const next = Math.max(5, c.expires_in - 10);
    const note = h('p', { class: 'qrnote' });
    let left = next;
    const tick = () => { note.textContent = S.codeExpiresIn(Math.max(0, left)); left -= 1; };
    tick();
    tickTimer = setInterval(tick, 1000);
    show(box, h('p', {}, S.orScan),
      h('img', { class: 'qr', src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(c.svg)}`, alt: S.qrAlt(ctx.info.name) }), note);
    box.hidden = false;
    qrTimer = setTimeout(() => showQr(box), next * 1000);
  }

  // --- screens ---
  function backButton() {
    return h('button', { type: 'button', class: 'quiet big', onclick: () => ctx.showLogin() }, S.back);
  }

  // the form's Log in and Back side by side, both large
  function withBack(form) {
    const submit = form.querySelector('button[type=submit]');
    submit.classList.add('big');
    form.append(h('div', { class: 'actions' }, submit, backButton()));
    return form;
  }

  function pinScreen() {
    onLogin = false;
    ctx.say('');
    const email = field(S.email, { type: 'email', autocomplete: 'off', required: true });
    const pin = field(S.pin, { type: 'password', inputmode: 'none', autocomplete: 'off', required: true });
    const key = (label, aria, act) => h('button', { type: 'button', class: 'key', 'aria-label': aria || label, onclick: act }, label);
    const digit = (d) => key(d, null, () => { pin.input.value += d; });
    const pad = h('div', { class: 'pinpad', role: 'group', 'aria-label': S.pinPad },
      ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map(digit),
      h('button', { type: 'button', class: 'key word', onclick: () => { pin.input.value = ''; } }, S.clear), digit('0'),
      key('⌫', S.backspace, () => { pin.input.value = pin.input.value.slice(0, -1); }));
    const form = withBack(loginForm(ctx, [email, pin], () => {
      if (!pin.input.value) { ctx.say(S.errors.pinLength, 'error'); return null; }
      return { email: email.input.value.trim(), pin: pin.input.value };
    }));
    show(ctx.view, h('div', { class: 'kiosk-pin' }, h('h2', {}, S.methodPin), h('div', { class: 'pinrow' }, form, pad)));
    email.input.focus();
  }

  function formScreen(title, make) {
    onLogin = false;
    ctx.say('');
    const holder = h('div');
    show(ctx.view, h('h2', {}, title), holder);
    const form = withBack(make());
    show(holder, form);
    const first = form.querySelector('input');
    if (first) first.focus();
  }

  function passcodeScreen() {
    formScreen(S.methodPasscode, () => {
      const code = field(S.passcode, { type: 'text', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', required: true }, S.passcodeHint);
      return loginForm(ctx, [code], () => ({ passcode: code.input.value.trim() }));
    });
  }

  function directoryScreen() {
    formScreen(S.methodDirectory, () => {
      const user = field(S.username, { type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true });
      const pass = field(S.password, { type: 'password', autocomplete: 'off', required: true });
      return loginForm(ctx, [user, pass], () => ({ username: user.input.value.trim(), password: pass.input.value }));
    });
  }

  ctx.showLogin = () => {
    useCredential();
    onLogin = true;
    const qrBox = h('aside', { class: 'qrbox', hidden: true });
    const big = (text, act) => h('button', { type: 'button', class: 'big', onclick: act }, text);
    show(ctx.view, h('div', { class: 'kiosk-login' },
      h('section', { class: 'swipe' },
        h('h2', {}, S.swipeHeading),
        h('p', { class: 'lead' }, S.swipeText),
        h('div', { class: 'kiosk-methods' },
          big(S.methodPin, pinScreen), big(S.methodPasscode, passcodeScreen), big(S.methodDirectory, directoryScreen))),
      qrBox));
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    showQr(qrBox);
  };

  function enrollView() {
    onLogin = false;
    stopQr();
    const token = field(S.enrollToken, { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
    const button = h('button', { type: 'submit', class: 'primary big' }, S.enroll);
    const skip = h('button', { type: 'button', class: 'quiet big', onclick: () => { ctx.say(''); ctx.showLogin(); } }, S.skipEnroll);
    // without a credential, a tenant with rotating codes only takes no login here
    const canSkip = ctx.info.release_codes !== 'rotating';
    const form = h('form', { class: 'login', novalidate: true }, token.el, h('div', { class: 'actions' }, button, canSkip ? skip : null));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      button.disabled = true;
      try {
        const r = await api.call('POST', '/readers/enroll', { token: token.input.value.trim() }, null);
        localStorage.setItem(credKey, r.credential);
        ctx.say(S.enrolled, 'ok');
        ctx.showLogin();
      } catch (e) {
        ctx.say(errorText(e), 'error');
        button.disabled = false;
      }
    });
    show(ctx.view, h('h2', {}, S.enrollHeading), h('p', {}, S.enrollText),
      h('p', {}, h('code', { class: 'command' }, S.enrollCommand(ctx.device))), h('p', {}, S.enrollAfter), form);
  }

  if (ctx.info.unknown) return; // app.js said so; nothing here can work
  if (credential()) ctx.showLogin();
  else enrollView();
}
