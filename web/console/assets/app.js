// The console's shell: who is signed in (GET /api/v1/session), the
// navigation, and which page the location's hash names (#/jobs...). Each
// page is a module of its own, loaded when first shown, with render(main,
// ctx); ctx.canChange(kind) says what the session's role may change
// (docs/console.md, "Roles").

import { ApiError, currentSession, signOut } from '/web/shared/api.js';
import { h, show, message } from '/web/shared/dom.js';
import { t } from './strings.js';

const PAGES = ['overview', 'printers', 'scouts', 'users', 'jobs', 'settings', 'audit'];
const main = document.getElementById('main');
const nav = document.getElementById('nav');
let session = null;

// administrator: everything; helpdesk: users, delegations, jobs; readonly: nothing
function canChange(kind) {
  if (!session) return false;
  if (session.role === 'administrator') return true;
  return session.role === 'helpdesk' && (kind === 'users' || kind === 'jobs');
}

function current() {
  const name = (location.hash.match(/^#\/([a-z]+)/) || [])[1];
  return PAGES.includes(name) ? name : 'overview';
}

function drawNav(active) {
  show(nav, h('ul', {}, PAGES.map((p) => h('li', {},
    h('a', { href: `#/${p}`, 'aria-current': p === active ? 'page' : undefined }, t.pages[p])))));
}

// the page's module, asked for as soon as its name is known (at start in
// parallel with the session): the first page shows one round trip sooner
const modules = {};
function pageModule(name) {
  if (!modules[name]) modules[name] = import(`./${name}.js`);
  return modules[name];
}

// Each page draws into a box of its own: when the person moves on before a
// slow page has drawn (the overview's figures, say), that page finishes in
// a box no longer shown instead of over the page they went to.
async function route() {
  const name = current();
  drawNav(name);
  document.title = `${t.pages[name]} – securerelease console`;
  const box = h('div', { class: 'page' }, h('h1', { tabindex: '-1' }, t.pages[name]), h('p', { class: 'meta', role: 'status' }, t.loading));
  show(main, box);
  try {
    const page = await pageModule(name);
    await page.render(box, { session, canChange });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return box.isConnected ? signedOut() : undefined;
    box.append(message('error', t.failed(t.pages[name], e)));
  }
  const heading = box.querySelector('h1');
  if (box.isConnected && heading && document.activeElement !== document.body) heading.focus();
}

// The page the person asked for is kept in this tab (sessionStorage) while
// they sign in: the sign-in's `next` is a path, and a page is a #hash.
const AFTER_SIGN_IN = 'sr-console-after-sign-in';

function signedOut() {
  show(main, h('h1', {}, t.signIn), message('info', t.signInAgain),
    h('p', {}, h('a', { class: 'button', href: '/console/login?next=%2Fconsole%2F', onclick: () => sessionStorage.setItem(AFTER_SIGN_IN, location.hash) }, t.signIn)));
}

function backWhereAsked() {
  const hash = sessionStorage.getItem(AFTER_SIGN_IN);
  sessionStorage.removeItem(AFTER_SIGN_IN);
  if (hash && !location.hash && /^#\/[a-z]+$/.test(hash)) history.replaceState(null, '', `/console/${hash}`);
}

async function start() {
  pageModule(current()).catch(() => {}); /* its failure shows when it is shown */
  try {
    session = await currentSession();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signedOut();
    show(main, h('h1', {}, 'Console'), message('error', t.failed(t.signIn, e)));
    return;
  }
  const who = document.getElementById('who');
  show(who, t.signedInAs(session.name || session.email, session.role), ' ',
    h('button', { type: 'button', class: 'link', onclick: async () => { await signOut().catch(() => {}); location.assign('/console/'); } }, t.signOut));
  if (!['administrator', 'helpdesk', 'readonly'].includes(session.role)) {
    show(main, h('h1', {}, 'Console'), message('info', t.noRole), h('p', {}, h('a', { href: '/portal/' }, t.portal)));
    return;
  }
  backWhereAsked();
  window.addEventListener('hashchange', route);
  route();
}

start();
