// What both portal pages share: the top bar with the navigation and the
// signed-in user, the sign-in prompt when nobody is, and the text of an
// API error as a person reads it.

import { S } from './strings.js';
import { session, signOut } from './api.js';
import { h, show } from './dom.js';

const LINKS = [
  ['/portal/#jobs', 'navJobs', 'home'],
  ['/portal/upload', 'navUpload', 'upload'],
  ['/portal/#printers', 'navPrinters', 'home'],
  ['/portal/#delegations', 'navDelegations', 'home'],
  ['/portal/#passcode', 'navPasscode', 'home'],
];

export const app = () => document.getElementById('app');

// The sign-in page of the cloud, coming back to this page afterwards.
function signInUrl() {
  return `/console/login?next=${encodeURIComponent(location.pathname)}`;
}

function signInPrompt(text) {
  show(app(), h('h1', {}, S.signInHeading), h('p', { class: 'lead' }, text || S.signInText),
    h('p', {}, h('a', { class: 'button primary', href: signInUrl() }, S.signIn)));
}

// Builds the frame of page `page` ('home' or 'upload'); resolves to the
// session, or null after showing the sign-in prompt (or an error).
export async function start(page) {
  let s;
  try {
    s = await session();
  } catch (e) {
    show(app(), h('h1', {}, S.appTitle), h('p', { class: 'msg error', role: 'alert' }, errorText(e)));
    return null;
  }
  const nav = document.getElementById('nav');
  if (!s) {
    show(nav);
    signInPrompt();
    return null;
  }
  const here = page === 'upload' ? '/portal/upload' : null;
  show(nav,
    h('ul', { class: 'nav-links' }, LINKS.map(([href, key]) =>
      h('li', {}, h('a', { href, 'aria-current': href === here ? 'page' : undefined }, S[key])))),
    h('div', { class: 'who' }, h('span', { class: 'who-name' }, S.signedInAs(s.email || s.name)),
      h('button', { type: 'button', class: 'quiet small', onclick: leave }, S.signOut)));
  return s;
}

async function leave() {
  try {
    await signOut();
  } catch {
    /* the session may have ended already: signed out either way */
  }
  location.assign('/portal/');
}

// What to tell the user about a failed call.
export function errorText(e) {
  if (!e || e.status === undefined) return S.failed(String((e && e.message) || e));
  if (e.status === 0) return S.offline;
  if (e.status === 401) return S.sessionEnded;
  if (e.status === 403) return S.forbidden;
  if (e.status === 404) return S.notFound;
  if (e.status === 409) return S.busy;
  return S.failed(e.message);
}

// A call failed with 401: the session ended; offer to sign in again.
export function ended(e) {
  if (e && e.status === 401) {
    signInPrompt(S.sessionEnded);
    return true;
  }
  return false;
}
