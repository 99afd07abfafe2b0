// The audit log: who changed what and when, newest first, a page at a
// time (GET /audit?limit&cursor).

import { api, query } from '/web/shared/api.js';
import { h, show, table, ready } from '/web/shared/dom.js';
import { t } from './strings.js';

const a = t.audit;

// the settings that are durations (seconds in the API): shown as 48h, 90d
const DURATIONS = ['hold_time', 'expiry_warning', 'retention', 'copy_after'];

function value(name, v) {
  if (DURATIONS.includes(name) && Number.isInteger(v) && v > 0) {
    for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60]]) if (v % n === 0) return `${v / n}${unit}`;
    return `${v}s`;
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function detail(d) {
  if (!d) return '';
  if (d.changes) return Object.entries(d.changes).map(([k, v]) => `${k}: ${value(k, v.from)} → ${value(k, v.to)}`).join('; ');
  return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ');
}

export async function render(main) {
  const body = h('tbody', {});
  const more = h('p', { class: 'pager' });
  let cursor = '';
  async function load() {
    const r = await api('GET', `/audit${query({ limit: 50, cursor })}`);
    for (const e of r.entries) {
      body.append(h('tr', {}, h('td', { class: 'nowrap' }, e.at.replace('T', ' ').replace('Z', ' UTC')), h('td', {}, e.actor), h('td', {}, e.action),
        h('td', { class: 'nowrap' }, e.object || ''), h('td', {}, detail(e.detail))));
    }
    cursor = r.next_cursor;
    show(more, cursor ? h('button', { type: 'button', onclick: load }, a.more) : null);
    return r.entries.length;
  }
  const tbl = h('table', {}, h('thead', {}, h('tr', {}, [a.when, a.who, a.action, a.object, a.detail].map((c) => h('th', { scope: 'col' }, c)))), body);
  show(main, h('h1', { tabindex: '-1' }, a.title), tbl, more);
  if (!(await load())) tbl.replaceWith(h('p', { class: 'empty' }, a.none));
  ready('audit');
}
