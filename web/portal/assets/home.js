// The portal's home page: my jobs (delete with a confirmation), the
// printers to release at (their release pages: releasing needs the user
// at the printer), my delegations, and how to renew a passcode.

import { S } from './strings.js';
import { call } from './api.js';
import { h, show, field, say, ready } from './dom.js';
import { start, app, errorText, ended } from './frame.js';

const PAGE = 20;

function section(id, title, ...body) {
  return h('section', { id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h`, tabindex: '-1' }, title), ...body);
}

// ---- jobs ----

const jobs = { list: [], next: null, box: null, msg: null };

// A cell of the jobs table; an empty one shows a dash (hidden on phones,
// where each job is a card of labelled lines).
function cell(label, value, cls) {
  return h('td', { 'data-label': label, class: [cls, value === null ? 'empty' : ''].filter(Boolean).join(' ') || undefined },
    value === null ? S.pagesUnknown : value);
}

function jobRow(job) {
  const held = job.state === 'held';
  const state = S.states[job.state] || job.state;
  return h('tr', { 'data-job': job.id },
    h('th', { scope: 'row', class: 'title' }, job.title),
    h('td', { 'data-label': S.colState }, h('span', { class: `state ${job.state}` }, state),
      job.reason ? h('span', { class: 'reason' }, job.reason) : null),
    cell(S.colPages, job.pages === null || job.pages === undefined ? null : String(job.pages)),
    cell(S.colSubmitted, S.when(job.submitted_at), 'when'),
    cell(S.colExpires, held && job.expires_at ? S.when(job.expires_at) : null, 'when'),
    h('td', { class: 'actions' }, held
      ? h('button', { type: 'button', class: 'danger small', 'aria-label': S.deleteJobLabel(job.title), onclick: () => confirmDelete(job) }, S.deleteJob)
      : null));
}

function drawJobs() {
  if (!jobs.list.length) {
    show(jobs.box, h('p', {}, S.noJobs, ' ', h('a', { href: '/portal/upload' }, S.uploadLink)));
    return;
  }
  const table = h('table', { class: 'jobs' },
    h('caption', { class: 'visually-hidden' }, S.jobsHeading),
    h('thead', {}, h('tr', {}, [S.colTitle, S.colState, S.colPages, S.colSubmitted, S.colExpires].map((t) => h('th', { scope: 'col' }, t)),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, S.colActions)))),
    h('tbody', {}, jobs.list.map(jobRow)));
  show(jobs.box, table, jobs.next
    ? h('p', {}, h('button', { type: 'button', class: 'quiet', onclick: moreJobs }, S.moreJobs))
    : null);
}

async function loadJobs(cursor) {
  const q = `?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  const page = await call('GET', `/me/jobs${q}`);
  jobs.list = cursor ? jobs.list.concat(page.jobs) : page.jobs;
  jobs.next = page.next;
  drawJobs();
  watchChecks();
}

// An upload is checked at the site within seconds: while one shows "Being
// checked", the first page is asked again every few seconds (for at most
// ten minutes), so its page count appears without a reload. The list is
// redrawn only when it changed, keeping the focus on the same job's button.
const CHECK_EVERY_MS = 3000;
const CHECK_FOR_MS = 600000;
let checkTimer = null;
let checkingSince = 0;
function watchChecks() {
  const checking = jobs.list.some((j) => j.state === 'checking');
  if (!checking) checkingSince = 0;
  if (!checking || checkTimer) return;
  if (!checkingSince) checkingSince = Date.now();
  if (Date.now() - checkingSince > CHECK_FOR_MS) return;
  checkTimer = setTimeout(async () => {
    checkTimer = null;
    try {
      const page = await call('GET', `/me/jobs?limit=${PAGE}`);
      const shown = jobs.list.slice(0, page.jobs.length);
      if (JSON.stringify(shown) !== JSON.stringify(page.jobs)) {
        const focused = document.activeElement && document.activeElement.closest('tr[data-job]');
        const focusedId = focused && focused.getAttribute('data-job');
        // older pages the user opened collapse back to the first
        jobs.list = page.jobs;
        jobs.next = page.next;
        drawJobs();
        const again = focusedId && jobs.box.querySelector(`tr[data-job="${CSS.escape(focusedId)}"] button`);
        if (again) again.focus();
      }
      watchChecks();
    } catch (e) {
      ended(e);
    }
  }, CHECK_EVERY_MS);
}

async function moreJobs() {
  try {
    await loadJobs(jobs.next);
  } catch (e) {
    if (!ended(e)) say(jobs.msg, 'error', errorText(e));
  }
}

// A modal dialog (the platform's: focus stays inside, Escape closes it).
function confirmDelete(job) {
  const yes = h('button', { type: 'button', class: 'danger' }, S.confirmYes);
  const no = h('button', { type: 'button', class: 'quiet' }, S.confirmNo);
  const text = h('p', { id: 'confirm-text' }, S.confirmDelete(job.title));
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-text' }, text,
    h('div', { class: 'row' }, no, yes));
  document.body.append(dialog);
  const opener = document.activeElement;
  const finish = () => {
    dialog.close();
    dialog.remove();
    if (opener && opener.isConnected) opener.focus();
  };
  no.addEventListener('click', finish);
  dialog.addEventListener('cancel', (e) => {
    e.preventDefault();
    finish();
  });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try {
      await call('DELETE', `/me/jobs/${encodeURIComponent(job.id)}`);
      finish();
      jobs.list = jobs.list.filter((j) => j.id !== job.id);
      drawJobs();
      say(jobs.msg, 'ok', S.deleted(job.title));
      document.getElementById('jobs-h').focus();
    } catch (e) {
      finish();
      if (!ended(e)) say(jobs.msg, 'error', errorText(e));
      if (e.status === 404 || e.status === 409) loadJobs().catch(() => {});
    }
  });
  dialog.showModal();
  no.focus();
}

// ---- printers ----

// A release page's address as a link only if it is an https page: the
// cloud checks what sites report, and the page does not rely on it alone.
function safeUrl(url) {
  try {
    return typeof url === 'string' && new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

async function loadPrinters(box) {
  const { printers } = await call('GET', '/me/printers');
  if (!printers.length) {
    show(box, h('p', {}, S.noPrinters));
    return;
  }
  show(box, h('ul', { class: 'printers' }, printers.map((p) => h('li', { class: 'printer' },
    h('div', { class: 'printer-name' }, h('strong', {}, p.name), p.location ? h('span', { class: 'where' }, p.location) : null),
    safeUrl(p.release_url)
      ? h('div', { class: 'printer-go' },
        h('a', { class: 'button primary', href: p.release_url, rel: 'noreferrer', 'aria-label': S.releaseHereLabel(p.name) }, S.releaseHere),
        h('span', { class: 'hint' }, S.qrHint))
      : h('p', { class: 'hint' }, S.noReleasePage)))));
}

// ---- delegations ----

async function loadDelegations(box, me, msg) {
  const { delegations } = await call('GET', '/me/delegations');
  const given = delegations.filter((d) => d.owner === me.email);
  const received = delegations.filter((d) => d.owner !== me.email);
  const items = given.map((d) => h('li', { class: 'delegation' },
    h('span', {}, S.youLet(d.delegate), ' ', h('span', { class: 'hint' }, d.until ? S.untilText(S.when(d.until)) : S.forGood)),
    h('button', { type: 'button', class: 'quiet small', 'aria-label': S.revokeLabel(d.delegate), onclick: async () => {
      try {
        await call('DELETE', `/me/delegations/${encodeURIComponent(d.id)}`);
        say(msg, 'ok', S.delegationRevoked(d.delegate));
        await loadDelegations(box, me, msg);
      } catch (e) {
        if (!ended(e)) say(msg, 'error', errorText(e));
      }
    } }, S.revoke)));
  show(box,
    items.length ? h('ul', { class: 'delegations' }, items) : h('p', {}, S.noDelegations),
    received.length ? h('ul', { class: 'delegations received' }, received.map((d) => h('li', {}, S.delegatedToYou(d.owner)))) : null);
}

function delegationForm(box, me, msg) {
  const email = field(S.delegateEmail, { type: 'email', name: 'delegate', required: true, autocomplete: 'off' });
  const until = field(S.delegateUntil, { type: 'date', name: 'until' }, S.delegateUntilHint);
  const submit = h('button', { type: 'submit', class: 'primary' }, S.addDelegation);
  const form = h('form', { class: 'inline-form', novalidate: true }, email.el, until.el, h('div', { class: 'field submit' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!email.input.checkValidity() || !email.input.value.trim()) {
      email.input.setAttribute('aria-invalid', 'true');
      say(msg, 'error', email.input.validationMessage || S.delegateEmail);
      email.input.focus();
      return;
    }
    email.input.removeAttribute('aria-invalid');
    submit.disabled = true;
    try {
      const body = { delegate: email.input.value.trim() };
      // through the day chosen (the cloud reads a bare date as its first second)
      if (until.input.value) body.until = `${until.input.value}T23:59:59Z`;
      const d = await call('POST', '/me/delegations', body);
      say(msg, 'ok', S.delegationAdded(d.delegate));
      form.reset();
      await loadDelegations(box, me, msg);
    } catch (err) {
      if (!ended(err)) say(msg, 'error', err.status === 400 ? S.failed(err.message) : errorText(err));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

// ---- the page ----

const me = await start('home');
if (me) {
  jobs.box = h('div', { class: 'list' }, h('p', { class: 'hint' }, S.loading));
  jobs.msg = h('div', { role: 'status', 'aria-live': 'polite' });
  const printersBox = h('div', {}, h('p', { class: 'hint' }, S.loading));
  const delegBox = h('div', {}, h('p', { class: 'hint' }, S.loading));
  const delegMsg = h('div', { role: 'status', 'aria-live': 'polite' });
  const printersMsg = h('div', { role: 'status', 'aria-live': 'polite' });
  show(app(),
    h('h1', {}, S.appTitle),
    section('jobs', S.jobsHeading, h('p', { class: 'lead' }, S.jobsIntro,
      ' ', h('a', { href: '/portal/upload' }, S.uploadLink)), jobs.msg, jobs.box),
    section('printers', S.printersHeading, h('p', {}, S.printersIntro), printersMsg, printersBox),
    section('delegations', S.delegationsHeading, h('p', {}, S.delegationsIntro), delegMsg, delegBox,
      delegationForm(delegBox, me, delegMsg)),
    section('passcode', S.passcodeHeading, h('p', {}, S.passcodeText), h('p', {}, S.passcodeHow),
      h('pre', { class: 'command' }, h('code', {}, S.passcodeCommand)), h('p', {}, S.passcodeAfter)));
  const loads = [
    loadJobs().catch((e) => ended(e) || show(jobs.box, h('p', { class: 'msg error' }, errorText(e)))),
    loadPrinters(printersBox).catch((e) => ended(e) || show(printersBox, h('p', { class: 'msg error' }, errorText(e)))),
    loadDelegations(delegBox, me, delegMsg).catch((e) => ended(e) || show(delegBox, h('p', { class: 'msg error' }, errorText(e)))),
  ];
  await Promise.all(loads);
  const target = location.hash && document.getElementById(`${location.hash.slice(1)}-h`);
  if (target) target.scrollIntoView();
  ready('portal');
}
