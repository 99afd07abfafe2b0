// Overview: today's and 30 days' figures, what needs attention now, and
// two charts (GET /api/v1/stats).

import { api } from '/web/shared/api.js';
import { barChart } from '/web/shared/chart.js';
import { h, show, ready } from '/web/shared/dom.js';
import { t } from './strings.js';

const sum = (rows, k) => rows.reduce((a, r) => a + r[k], 0);

function tile(label, value, warn) {
  return h('div', { class: `tile${warn ? ' warn' : ''}` }, h('p', { class: 'tile-value' }, t.number(value)), h('p', { class: 'tile-label' }, label));
}

export async function render(main) {
  const s = await api('GET', '/stats?days=30');
  const o = t.overview, days = s.per_day, today = days[days.length - 1];
  const labels = days.map((d) => d.day);
  const tick = (label, i) => (i % 7 === days.length % 7 || i === days.length - 1 ? label.slice(5) : '');
  show(main, h('h1', { tabindex: '-1' }, o.title),
    h('section', { 'aria-labelledby': 'now-h' }, h('h2', { id: 'now-h' }, o.today),
      h('div', { class: 'tiles' },
        tile(o.heldNow, s.now.held),
        tile(o.printed, today.printed),
        tile(o.failed, today.failed, today.failed > 0),
        tile(o.expired, today.expired),
        tile(o.scoutsOnline, o.of(s.now.scouts_online, s.now.scouts_total), s.now.scouts_online < s.now.scouts_total),
        tile(o.printersInError, o.of(s.now.printers_in_error, s.now.printers_total), s.now.printers_in_error > 0))),
    h('section', { 'aria-labelledby': 'month-h' }, h('h2', { id: 'month-h' }, o.last30),
      h('div', { class: 'tiles' },
        tile(o.held, sum(days, 'held')), tile(o.printed, sum(days, 'printed')),
        tile(o.failed, sum(days, 'failed')), tile(o.expired, sum(days, 'expired')),
        tile(o.pagesPrinted, sum(days, 'pages_printed')), tile(o.pagesSaved, sum(days, 'pages_saved'))),
      h('div', { class: 'charts' }, barChart({
        title: o.jobsChart, description: o.jobsChartDesc(sum(days, 'held'), sum(days, 'printed'), sum(days, 'expired')),
        labels, tick, showText: o.showNumbers, labelHead: o.day,
        series: [{ name: o.held, values: days.map((d) => d.held) }, { name: o.printed, values: days.map((d) => d.printed) },
          { name: o.expired, values: days.map((d) => d.expired) }, { name: o.failed, values: days.map((d) => d.failed) }],
      }),
      barChart({
        title: o.pagesChart, description: o.pagesChartDesc(sum(days, 'pages_printed'), sum(days, 'pages_saved')),
        labels, tick, showText: o.showNumbers, labelHead: o.day,
        series: [{ name: o.pagesPrinted, values: days.map((d) => d.pages_printed) }, { name: o.pagesSaved, values: days.map((d) => d.pages_saved) }],
      }))));
  ready('overview');
}
