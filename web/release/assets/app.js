// The release page: which printer and layout the address names, the
// messages area, and switching between logging in and the job list.
// /r/DEVICE[/CODE]: phones and desktops; /panel/DEVICE: the kiosk layout
// for a printer's own browser; /oidc/callback: the end of a single
// sign-on; anything else: how to get here.

import { S } from './strings.js';
import { h, show } from './dom.js';
import * as api from './api.js';
import { loginView, finishOidc, preferMethod } from './login.js';
import { errorText } from './errors.js';

const main = document.getElementById('app');

// What the address says: {page, device, code}.
function route() {
  const parts = location.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'r' && parts[1]) return { page: 'release', device: parts[1], code: parts[2] || null };
  if (parts[0] === 'panel' && parts[1]) return { page: 'kiosk', device: parts[1], code: null };
  if (parts[0] === 'oidc' && parts[1] === 'callback') return { page: 'oidc' };
  return { page: 'landing' };
}

// The page's shared state and helpers, handed to every view.
function makeContext(r) {
  const header = h('header', { class: 'top' });
  const messages = h('div', { class: 'messages' });
  const live = h('div', { class: 'visually-hidden', 'aria-live': 'polite', id: 'live' });
  const view = h('div', { class: 'view' });
  show(main, header, messages, view, live);
  const ctx = {
    device: r.device,
    code: r.code,
    kiosk: r.page === 'kiosk',
    info: { id: r.device, name: r.device, location: null, release_codes: 'both', oidc: false, known: false },
    view,
    // shows a message above the view: kind 'error' (role alert), 'info' or 'ok'
    say(text, kind = 'info') {
      if (!text) return show(messages);
      const attrs = kind === 'error' ? { role: 'alert', class: 'msg error' } : { role: 'status', class: `msg ${kind}` };
      show(messages, h('p', attrs, text));
    },
    // a quiet announcement for screen readers (job states as they change)
    announce(text) {
      live.textContent = text;
    },
    heading() {
      show(header, h('h1', {}, S.printerHeading(ctx.info.name)),
        ctx.info.location ? h('p', { class: 'where' }, S.printerLocation(ctx.info.location)) : null);
      document.title = `${ctx.info.name} – ${S.appTitle}`;
    },
    loggedIn(session) {
      api.setSession(session);
      return showJobs(ctx);
    },
    // back to logging in; `text` says why (null: keep the current message)
    loggedOut(text) {
      api.setSession(null);
      if (text) ctx.say(text, 'info');
      ctx.showLogin();
    },
    showLogin() {
      if (!ctx.info.unknown) loginView(ctx);
    },
    // The rotating code the page was opened with is refused (expired): a
    // retry with it can never log in, nor may a reload bring it back.
    forgetCode() {
      ctx.code = null;
      history.replaceState(null, '', `/r/${encodeURIComponent(ctx.device)}`);
    },
  };
  return ctx;
}

// The printer's name and how it takes logins (GET devices/{id}); without
// that route (an older site service) the device id stands for its name.
async function loadDevice(ctx) {
  try {
    const info = await api.call('GET', `/devices/${encodeURIComponent(ctx.device)}`, undefined, null);
    Object.assign(ctx.info, info, { known: true });
  } catch (e) {
    if (e.code === 'unknown_device') {
      // no login or enrollment can work at a printer the service does not
      // know: the message alone, no form to fill in for nothing
      ctx.info.unknown = true;
      ctx.say(S.errors.unknown_device, 'error');
      show(ctx.view);
    }
    else if (e.status !== 404) ctx.say(errorText(e), 'error');
  }
}

// The job list's module runs when wanted (index.html preloads it, so it
// is fetched beside the rest), the kiosk's only in the kiosk: the first
// screen of a slow panel runs no script it does not show.
async function showJobs(ctx) {
  const first = api.call('GET', '/jobs'); // asked while the module loads
  first.catch(() => {}); // answered in jobsView
  const { jobsView } = await import('./jobs.js');
  return jobsView(ctx, first);
}

function landing() {
  document.title = S.appTitle;
  show(main, h('h1', {}, S.landingHeading), h('p', { class: 'lead' }, S.landingText));
}

async function start() {
  const r = route();
  let refused = null;
  if (r.page === 'landing') return landing();
  if (r.page === 'oidc') {
    const back = finishOidc(); // {device, code, kiosk} it started from, and finish() or an error
    if (!back.device) {
      landing();
      main.prepend(h('p', { role: 'alert', class: 'msg error' }, back.error));
      return;
    }
    Object.assign(r, { device: back.device, code: back.code || null, page: back.kiosk ? 'kiosk' : 'release' });
    history.replaceState(null, '', back.kiosk ? `/panel/${back.device}` : `/r/${back.device}${back.code ? `/${back.code}` : ''}`);
    if (back.finish) {
      const ctx = makeContext(r);
      ctx.heading();
      await loadDevice(ctx);
      ctx.heading();
      return back.finish(ctx);
    }
    refused = back.error; // the printer's page, to start again, says why
    preferMethod('oidc');
  }
  document.body.classList.toggle('kiosk', r.page === 'kiosk');
  // a shared kiosk keeps no session beyond the page; a phone keeps it for its tab
  api.useSessionStorage(r.page === 'release');
  const ctx = makeContext(r);
  ctx.heading();
  if (refused) ctx.say(refused, 'error');
  // what the printer's info changes comes after the first view: a slow
  // panel shows something to use at once
  const info = loadDevice(ctx);
  if (ctx.kiosk) {
    const [{ kioskStart }] = await Promise.all([import('./kiosk.js'), info]);
    ctx.heading();
    return kioskStart(ctx);
  }
  const s = api.currentSession();
  if (s && s.device === ctx.device) {
    showJobs(ctx);
    await info;
    ctx.heading();
    return;
  }
  ctx.showLogin();
  import('./jobs.js'); // fetched and compiled while the user types
  await info;
  ctx.heading();
  // the ways to log in depend on it (single sign-on, rotating codes only)
  if (ctx.info.known && !api.currentSession() && (ctx.info.oidc || ctx.info.release_codes === 'rotating')) ctx.showLogin();
}

start();
