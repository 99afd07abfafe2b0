// The job list: the user's held jobs and those delegated to the user,
// newest first, a page at a time (GET /jobs?cursor=C: "Show older jobs");
// print one, some or all (with copies, sides and colour for this
// release), delete, log out; each release is followed until it printed
// or failed, without reloading the page.

import { S } from './strings.js';
import { h, show, field, select, uid, ready } from './dom.js';
import * as api from './api.js';
import { errorText } from './errors.js';

const POLL_MS = 1000; // a release's state, while one is under way
const REFRESH_MS = 15000; // the list itself (jobs sent meanwhile)
const FINAL = new Set(['printed', 'deleted', 'expired']);

function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date().toDateString() === d.toDateString();
  return new Intl.DateTimeFormat(undefined, today ? { timeStyle: 'short' } : { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

function stateText(job) {
  const name = S.states[job.shown || job.state] || job.state;
  return job.reason ? S.stateWithReason(name, job.reason) : name;
}

// `first`: the answer of GET /jobs if the caller already asked for it.
export function jobsView(ctx, first) {
  const session = api.currentSession();
  const rows = new Map(); // job id -> {job, el, state, print, del, check}
  const tracked = new Set(); // job ids whose release is followed
  let timer = null, refresher = null, closed = false, loaded = false;
  let older = null; // the cursor of the next (older) page, null on the last
  let pagedOn = false; // older pages were shown: the refresh keeps their cursor

  const list = h('ul', { class: 'joblist', 'aria-labelledby': 'jobs-heading' });
  const more = h('button', { type: 'button', class: 'quiet', hidden: true, onclick: () => loadOlder() });
  more.textContent = S.showOlder;
  const empty = h('p', { class: 'empty' }, S.noJobs);
  const printAll = h('button', { type: 'button', class: 'primary big', onclick: () => release({ all: true }) });
  const printSel = h('button', { type: 'button', class: 'big', onclick: () => release({ jobs: selected() }) });
  const copies = field(S.copies, { type: 'number', min: '1', max: '999', inputmode: 'numeric', placeholder: S.asSent });
  const sides = select(S.twoSided, [['', S.asSent], ...Object.entries(S.sides)], '');
  const color = select(S.colour, [['', S.asSent], ...Object.entries(S.colors)], '');
  const jobPin = field(S.jobPin, { type: 'password', inputmode: 'numeric', autocomplete: 'off' });
  jobPin.el.hidden = true;
  // folded away until wanted: on a phone the jobs come first
  const settings = h('details', { class: 'settings' }, h('summary', {}, S.settingsLegend),
    h('div', { class: 'settingfields' }, copies.el, sides.el, color.el, jobPin.el));
  const logout = h('button', { type: 'button', class: 'quiet', onclick: () => logOut(S.loggedOut) });

  logout.textContent = S.logOut;
  show(ctx.view,
    h('div', { class: 'userbar' }, h('p', {}, S.signedInAs(session.user ? session.user.name || session.user.email : '')), logout),
    h('h2', { id: 'jobs-heading', tabindex: '-1' }, S.jobsHeading),
    h('div', { class: 'actions' }, printAll, printSel),
    settings, empty, list, h('p', { class: 'more' }, more));
  ctx.view.querySelector('h2').focus({ preventScroll: true });

  function held() {
    return [...rows.values()].filter((r) => r.job.state === 'held');
  }
  function selected() {
    return held().filter((r) => r.check.checked).map((r) => r.job.id);
  }
  function updateButtons() {
    const n = held().length, k = selected().length;
    // more held on pages not shown: "Print all" releases those too
    printAll.textContent = S.printAll(older ? `${n}+` : n);
    more.hidden = !older;
    printAll.disabled = n === 0 && !older;
    printSel.textContent = S.printSelected(k);
    printSel.disabled = k === 0;
    empty.hidden = !loaded || rows.size > 0;
    jobPin.el.hidden = !held().some((r) => r.job.pin_required);
    if (!jobPin.el.hidden) settings.open = true;
  }

  function settingsBody() {
    const s = {};
    if (copies.input.value) s.copies = Number(copies.input.value);
    if (sides.input.value) s.sides = sides.input.value;
    if (color.input.value) s.color = color.input.value;
    return Object.keys(s).length ? s : null;
  }

  function rowFor(job) {
    const own = !job.owner || !session.user || job.owner.id === session.user.id;
    const title = job.title || S.untitled;
    const checkId = uid('j');
    const r = { job };
    r.check = h('input', { type: 'checkbox', id: checkId, onchange: updateButtons });
    r.state = h('p', { class: 'state' });
    r.print = h('button', { type: 'button', 'aria-label': S.printThis(title), onclick: () => release({ jobs: [job.id] }) }, S.print);
    r.del = own ? h('button', { type: 'button', class: 'danger', 'aria-label': S.deleteThis(title), onclick: () => confirmDelete(r) }, S.delete) : null;
    r.buttons = h('div', { class: 'jobbuttons' }, r.print, r.del);
    const meta = [own ? S.ownJob : S.owner(job.owner.name || job.owner.id), S.submitted(when(job.submitted_at)), S.pages(job.pages),
      S.copiesN(job.copies || 1), S.sides[job.sides] || null, S.colors[job.color] || null, job.pin_required ? S.pinJob : null].filter(Boolean);
    r.el = h('li', { class: 'job', 'data-job': job.id },
      h('div', { class: 'jobmain' },
        h('div', { class: 'jobtitle' }, r.check, h('label', { for: checkId }, title)),
        // each item whole on its line ("One-sided" never split at its hyphen)
        h('p', { class: 'meta' }, meta.flatMap((m, i) => (i ? [' · ', h('span', {}, m)] : [h('span', {}, m)]))), r.state),
      r.buttons);
    return r;
  }

  function paint(r) {
    const j = r.job;
    r.state.textContent = stateText(j);
    r.el.dataset.state = j.shown || j.state;
    const isHeld = j.state === 'held';
    r.check.disabled = !isHeld;
    if (!isHeld) r.check.checked = false;
    r.print.disabled = !isHeld;
    if (r.del) r.del.disabled = !isHeld;
  }

  // newest first: by submitted_at, then id, as the cloud pages them
  function newer(a, b) {
    return a.submitted_at !== b.submitted_at ? a.submitted_at > b.submitted_at : a.id > b.id;
  }

  function put(job) {
    let r = rows.get(job.id);
    if (!r) {
      r = rowFor(job);
      rows.set(job.id, r);
      // before the first row on the page that is older (the page's order, not the map's)
      const after = [...list.children].find((el) => {
        const o = rows.get(el.dataset.job);
        return o && o !== r && newer(job, o.job);
      });
      list.insertBefore(r.el, after || null);
    } else {
      r.job = { ...r.job, ...job };
    }
    paint(r);
  }

  // The first page again (the periodic refresh): a row it should hold but
  // does not is gone (printed elsewhere, expired); older rows are left.
  async function load(answer) {
    try {
      const { jobs, next_cursor: next } = await (answer || api.call('GET', '/jobs'));
      loaded = true;
      const ids = new Set(jobs.map((j) => j.id));
      const oldest = next ? jobs[jobs.length - 1] : null;
      for (const [id, r] of rows) {
        if (ids.has(id) || tracked.has(id) || FINAL.has(r.job.state) || (oldest && newer(oldest, r.job))) continue;
        r.el.remove();
        rows.delete(id);
      }
      if (!pagedOn) older = next || null;
      for (const j of jobs) put(j);
      for (const j of jobs) if (j.state === 'releasing' || j.state === 'printing') tracked.add(j.id);
      updateButtons();
      ready('jobs');
      if (tracked.size) follow();
    } catch (e) {
      fail(e);
    }
  }

  async function loadOlder() {
    if (!older) return;
    more.disabled = true;
    try {
      const { jobs, next_cursor: next } = await api.call('GET', `/jobs?cursor=${encodeURIComponent(older)}`);
      pagedOn = true;
      older = next || null;
      for (const j of jobs) put(j);
      updateButtons();
    } catch (e) {
      fail(e);
    }
    more.disabled = false;
  }

  function fail(e) {
    if (closed) return;
    if (e.code === 'session_expired' || e.code === 'unauthenticated') {
      stop();
      ctx.loggedOut(null);
      ctx.say(errorText(e), 'info');
    } else {
      ctx.say(errorText(e), 'error');
    }
  }

  async function release(body) {
    const s = settingsBody();
    if (s) body.settings = s;
    if (jobPin.input.value) body.pin = jobPin.input.value;
    printAll.disabled = printSel.disabled = true;
    try {
      const r = await api.call('POST', '/release', body);
      let started = 0;
      const failed = [];
      for (const x of r.releases) {
        const row = rows.get(x.job);
        const job = { id: x.job, reason: x.reason || null };
        if (x.state === 'failed') {
          Object.assign(job, { state: 'held', shown: 'failed' });
          failed.push(S.failedJob(row ? row.job.title || S.untitled : x.job, x.reason || ''));
        } else {
          Object.assign(job, { state: x.state, shown: null });
          if (x.state === 'releasing' || x.state === 'printing') { started += 1; tracked.add(x.job); }
        }
        if (row) put(job);
      }
      const text = [r.releases.length === 0 ? S.nothingHeld : started ? S.released(started) : null, ...failed,
        r.remaining ? S.remaining(r.remaining) : null].filter(Boolean).join(' ');
      ctx.say(text, failed.length ? 'error' : 'ok');
      if (ctx.afterRelease) ctx.afterRelease(body, started);
      follow();
    } catch (e) {
      fail(e);
    }
    updateButtons();
  }

  function confirmDelete(r) {
    const title = r.job.title || S.untitled;
    const yes = h('button', { type: 'button', class: 'danger', onclick: () => del(r) }, S.delete);
    const no = h('button', { type: 'button', onclick: () => { show(r.buttons, r.print, r.del); r.del.focus(); } }, S.cancel);
    show(r.buttons, h('p', { class: 'confirm' }, S.confirmDelete(title)), yes, no);
    no.focus();
  }

  async function del(r) {
    const title = r.job.title || S.untitled;
    try {
      await api.call('DELETE', `/jobs/${encodeURIComponent(r.job.id)}`);
      r.el.remove();
      rows.delete(r.job.id);
      ctx.say(S.deleted(title), 'ok');
      ctx.view.querySelector('h2').focus();
    } catch (e) {
      show(r.buttons, r.print, r.del);
      fail(e);
    }
    updateButtons();
  }

  // Follows every tracked release until it printed or failed.
  function follow() {
    if (timer || closed) return;
    timer = setTimeout(async () => {
      timer = null;
      for (const id of [...tracked]) {
        let j;
        try {
          j = await api.call('GET', `/jobs/${encodeURIComponent(id)}`);
        } catch (e) {
          if (e.code === 'not_found') { tracked.delete(id); continue; }
          fail(e);
          return;
        }
        if (closed) return;
        const title = j.title || S.untitled;
        const lastFailed = j.last_release && j.last_release.state === 'failed';
        if (j.state === 'held' && lastFailed) {
          tracked.delete(id);
          put({ ...j, shown: 'failed', reason: j.reason || j.last_release.reason });
          ctx.say(S.failedJob(title, j.reason || j.last_release.reason || ''), 'error');
        } else {
          if (FINAL.has(j.state) || j.state === 'held') tracked.delete(id);
          put({ ...j, shown: null, reason: j.state === 'printed' ? null : j.reason });
          if (j.state === 'printed') ctx.announce(S.printedJob(title));
        }
      }
      updateButtons();
      if (tracked.size) follow();
    }, POLL_MS);
  }

  function stop() {
    closed = true;
    clearTimeout(timer);
    clearInterval(refresher);
  }

  // The screen and the tab forget the session first: on a shared kiosk the
  // next person must not find the jobs still there while the cloud is slow
  // to answer. The call then ends it at the cloud with the token kept here.
  async function logOut(text) {
    stop();
    const token = (api.currentSession() || {}).token;
    ctx.loggedOut(text);
    if (!token) return;
    try {
      await api.call('DELETE', '/sessions/current', undefined, token);
    } catch {
      /* gone already, or the cloud unreachable: it expires on its own */
    }
  }

  ctx.logOut = logOut;
  ctx.stopJobs = stop;
  refresher = setInterval(() => load(), REFRESH_MS);
  updateButtons();
  return load(first);
}
