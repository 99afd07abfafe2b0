// Jobs: every job of the tenant with its state and reason, newest first,
// a page at a time (GET /jobs?limit&cursor&state&owner&q: the page never
// loads them all), filters, and deleting a held one (DELETE /jobs/{id}).
// The cursors of the pages seen are kept so that "first page" and the
// browser's back button work without counting.

import { api, query } from '/web/shared/api.js';
import { h, show, table, field, select, message, ready } from '/web/shared/dom.js';
import { t } from './strings.js';

const j = t.jobs;
const LIMIT = 50;

function when(s) {
  return s ? s.replace('T', ' ').replace('Z', ' UTC') : t.none;
}

export async function render(main, ctx) {
  const filters = { state: '', owner: '', q: '' };
  const cursors = [''];
  const edit = ctx.canChange('jobs');
  const note = h('div', { 'aria-live': 'polite' });
  const results = h('div', { id: 'job-results' });
  const state = select(j.state, [['', j.stateAll], ...j.states.map((s) => [s, s])], '');
  const q = field(j.search, { type: 'search', autocomplete: 'off', maxlength: '100' });
  const owner = field(j.ownerFilter, { type: 'email', autocomplete: 'off' });

  async function load(index) {
    const r = await api('GET', `/jobs${query({ limit: LIMIT, cursor: cursors[index], ...filters })}`);
    if (r.next_cursor) cursors[index + 1] = r.next_cursor;
    const rows = r.jobs.map((x) => [x.title, x.owner || x.owner_email || t.none, h('span', { class: `state state-${x.state}` }, x.state),
      x.reason || t.none, x.pages === null || x.pages === undefined ? t.none : String(x.pages), h('span', { class: 'nowrap' }, when(x.submitted_at)), h('span', { class: 'nowrap' }, when(x.expires_at)),
      ...(edit ? [x.state === 'held' ? h('button', { type: 'button', class: 'danger', 'aria-label': j.deleteJob(x.title), onclick: async () => {
        if (!window.confirm(t.confirmRemove(x.title))) return;
        try {
          await api('DELETE', `/jobs/${encodeURIComponent(x.id)}`);
          show(note, message('ok', j.deleted(x.title)));
          await load(index);
        } catch (e) {
          show(note, message('error', t.failed(t.remove, e)));
        }
      } }, j.delete) : ''] : [])]);
    show(results,
      h('p', { class: 'meta', id: 'job-page' }, j.page(index + 1)),
      table(null, [j.jobTitle, j.owner, j.state, j.reason, j.pages, j.submitted, j.expires, ...(edit ? [j.delete] : [])], rows, j.none),
      h('p', { class: 'pager' },
        index > 0 ? h('button', { type: 'button', onclick: () => load(0).catch(fail) }, j.first) : null,
        r.next_cursor ? h('button', { type: 'button', id: 'job-next', onclick: () => load(index + 1).catch(fail) }, j.next) : null));
    ready(`jobs-page-${index + 1}`);
  }
  const fail = (e) => show(note, message('error', t.failed(j.title, e)));
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (ev) => {
    ev.preventDefault();
    Object.assign(filters, { state: state.input.value, q: q.input.value.trim(), owner: owner.input.value.trim() });
    cursors.length = 1;
    load(0).catch(fail);
  } }, h('h2', { class: 'visually-hidden' }, j.filters), state.el, q.el, owner.el, h('button', { type: 'submit' }, j.apply));
  show(main, h('h1', { tabindex: '-1' }, j.title), form, note, results);
  await load(0);
}
