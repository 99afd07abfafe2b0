// Printers: each device with its status, alerts, supplies and meters
// (GET /devices, /devices/{id}/monitor), its supply history as a chart
// (/devices/{id}/history), the printers the sites' scans found and an
// administrator may accept (/discovered, POST /discovered/{id}/accept),
// and how to print the label sheet.

import { api, query } from '/web/shared/api.js';
import { lineChart } from '/web/shared/chart.js';
import { h, show, table, field, message, ready } from '/web/shared/dom.js';
import { t } from './strings.js';

const p = t.printers;

function statusText(m) {
  if (!m || !m.status) return p.unknown;
  const s = m.status;
  return [s.state, s.message, ...(s.conditions || [])].filter(Boolean).join(' · ');
}

function supplies(m) {
  if (!m || !Array.isArray(m.supplies) || !m.supplies.length) return p.unknown;
  return h('ul', { class: 'plain' }, m.supplies.map((x) => h('li', {},
    `${x.name || x.color || x.type}: `, x.percent === null || x.percent === undefined ? p.unknown : p.percent(x.percent),
    x.percent !== null && x.percent !== undefined ? h('meter', { min: '0', max: '100', low: '15', high: '40', optimum: '100', value: String(x.percent), 'aria-label': `${x.name || x.color || x.type}` }) : null)));
}

function meters(m) {
  return m && m.meters && m.meters.total_pages !== undefined ? String(m.meters.total_pages) : p.unknown;
}

function alerts(m) {
  if (!m || !Array.isArray(m.alerts) || !m.alerts.length) return t.none;
  return h('ul', { class: 'plain' }, m.alerts.map((a) => h('li', { class: a.severity === 'critical' ? 'bad' : '' }, `${a.severity}: ${a.description || a.reason || a.code}`)));
}

async function history(device, box) {
  const since = new Date(Date.now() - 30 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
  const r = await api('GET', `/devices/${encodeURIComponent(device.id)}/history${query({ kind: 'supplies', since })}`);
  const names = [];
  const points = r.history.map((row) => {
    const values = [];
    for (const x of row.value || []) {
      const n = x.name || x.color || x.type;
      if (!names.includes(n)) names.push(n);
      values[names.indexOf(n)] = x.percent === undefined ? null : x.percent;
    }
    return { label: row.at.replace('T', ' ').slice(0, 16), values };
  });
  for (const pt of points) for (let i = 0; i < names.length; i++) if (pt.values[i] === undefined) pt.values[i] = null;
  show(box, points.length
    ? lineChart({ title: p.history(device.name), description: p.historyDesc, points, series: names, max: 100, showText: t.overview.showNumbers, labelHead: t.audit.when })
    : h('p', { class: 'meta' }, p.noHistory));
}

async function discoveredSection(ctx, reload) {
  const d = await api('GET', '/discovered?state=new');
  const printers = d.discovered.filter((x) => x.kind === 'printer');
  const note = h('div', { 'aria-live': 'polite' });
  const rows = printers.map((x) => {
    const name = field(p.acceptAs, { value: x.model || x.address, maxlength: '120', autocomplete: 'off' });
    const cells = [x.address, x.model || t.none, x.site_name || x.site];
    if (ctx.canChange('printers')) {
      cells.push(h('form', { class: 'inline', onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const dev = await api('POST', `/discovered/${encodeURIComponent(x.id)}/accept`, { name: name.input.value });
          show(note, message('ok', p.accepted(dev.name)));
          await reload();
        } catch (e) {
          show(note, message('error', t.failed(t.accept, e)));
        }
      } }, name.el, h('button', { type: 'submit' }, t.accept)));
    }
    return cells;
  });
  return h('section', { 'aria-labelledby': 'disc-h' }, h('h2', { id: 'disc-h' }, p.discovered), note,
    table(null, [p.address, p.model, p.site, ...(ctx.canChange('printers') ? [t.accept] : [])], rows, p.discoveredNone));
}

export async function render(main, ctx) {
  const reload = () => render(main, ctx);
  const devices = (await api('GET', '/devices')).devices;
  const monitors = await Promise.all(devices.map((d) => api('GET', `/devices/${encodeURIComponent(d.id)}/monitor`).catch(() => null)));
  const disc = await discoveredSection(ctx, reload);
  const cards = devices.map((d, i) => {
    const box = h('div', {});
    const det = h('details', { ontoggle: (ev) => { if (ev.target.open && !box.firstChild) history(d, box).catch((e) => show(box, message('error', t.failed(p.toner, e)))); } },
      h('summary', {}, p.details(d.name)), box);
    const m = monitors[i];
    return h('article', { class: 'card', 'aria-labelledby': `dev-${i}` },
      h('h3', { id: `dev-${i}` }, d.name),
      h('dl', { class: 'facts' },
        h('dt', {}, p.location), h('dd', {}, d.location || t.none),
        h('dt', {}, p.status), h('dd', { class: m && m.status && ['error', 'offline'].includes(m.status.state) ? 'bad' : '' }, statusText(m)),
        h('dt', {}, p.alerts), h('dd', {}, alerts(m)),
        h('dt', {}, p.toner), h('dd', {}, supplies(m)),
        h('dt', {}, p.meters), h('dd', {}, meters(m)),
        h('dt', {}, p.releasePage), h('dd', {}, d.release_url ? h('a', { href: d.release_url }, d.release_url) : t.none)),
      det);
  });
  show(main, h('h1', { tabindex: '-1' }, p.title),
    devices.length ? h('div', { class: 'cards' }, cards) : h('p', { class: 'empty' }, p.none),
    disc,
    h('section', { 'aria-labelledby': 'labels-h' }, h('h2', { id: 'labels-h' }, p.labels), h('p', {}, p.labelsHow), h('pre', {}, h('code', {}, p.labelsCommand))));
  ready('printers');
}
