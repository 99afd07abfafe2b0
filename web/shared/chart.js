// Small SVG charts of our own (no library): a bar chart of a few series
// per label and a line chart of values over time. Each is a <figure>
// whose SVG has an accessible name and description, and whose numbers
// are also in a real table (under "Show the numbers"), so that a screen
// reader or a person who cannot tell the colours apart reads them there.
// Colours come from CSS classes (series-0, series-1, ...): no style
// attributes, which the pages' CSP forbids.

import { h, uid } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// A round maximum for the axis: 1, 2, 5 x 10^n at or above `max`.
function niceMax(max) {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

// the axis' ticks: 0, half and the top, the half only when it is whole
function ticks(max) {
  return Number.isInteger(max / 2) ? [0, max / 2, max] : [0, max];
}

function legend(series) {
  return h('ul', { class: 'legend' }, series.map((se, i) => h('li', {},
    h('span', { class: `swatch series-${i}`, 'aria-hidden': 'true' }), se.name)));
}

function numbers(labels, series, showText, labelHead) {
  return h('details', { class: 'numbers' }, h('summary', {}, showText),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, labelHead), series.map((se) => h('th', { scope: 'col' }, se.name)))),
      h('tbody', {}, labels.map((l, i) => h('tr', {}, h('th', { scope: 'row' }, l),
        series.map((se) => h('td', {}, se.values[i] === null || se.values[i] === undefined ? '–' : String(se.values[i]))))))));
}

// barChart({title, description, labels: [...], series: [{name, values}],
//   showText: 'Show the numbers', labelHead: 'Day', tick: (label, i) => text|''})
export function barChart({ title, description, labels, series, showText, labelHead, tick }) {
  const W = 640, H = 220, left = 40, right = 16, bottom = 28, top = 10;
  const max = niceMax(Math.max(0, ...series.flatMap((se) => se.values)));
  const slot = (W - left - right) / Math.max(labels.length, 1);
  const bar = Math.max(1, (slot * 0.8) / series.length);
  const y = (v) => top + (H - top - bottom) * (1 - v / max);
  const titleId = uid('chart-title'), descId = uid('chart-desc');
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': titleId, 'aria-describedby': descId, class: 'chart' },
    s('title', { id: titleId }, title), s('desc', { id: descId }, description || ''));
  for (const v of ticks(max)) {
    svg.append(s('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(s('text', { x: left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(Math.round(v))));
  }
  labels.forEach((label, i) => {
    series.forEach((se, j) => {
      const v = se.values[i] || 0;
      const x = left + i * slot + slot * 0.1 + j * bar;
      svg.append(s('rect', { x, y: y(v), width: bar, height: Math.max(0, y(0) - y(v)), class: `bar series-${j}` },
        s('title', {}, `${label}: ${se.name} ${v}`)));
    });
    const t = tick ? tick(label, i) : label;
    if (t) svg.append(s('text', { x: left + i * slot + slot / 2, y: H - 8, class: 'axis', 'text-anchor': 'middle' }, t));
  });
  return h('figure', { class: 'chart-figure' }, h('figcaption', {}, title), svg, legend(series),
    numbers(labels, series, showText || 'Show the numbers', labelHead || ''));
}

// lineChart({title, description, points: [{label, values: [...]}],
//   series: [names], max: 100, showText, labelHead})
export function lineChart({ title, description, points, series, max, showText, labelHead }) {
  const W = 640, H = 200, left = 40, bottom = 24, top = 10;
  const top_ = max || niceMax(Math.max(0, ...points.flatMap((p) => p.values.filter((v) => v !== null))));
  const x = (i) => left + (W - left - 10) * (points.length > 1 ? i / (points.length - 1) : 0.5);
  const y = (v) => top + (H - top - bottom) * (1 - v / top_);
  const titleId = uid('chart-title'), descId = uid('chart-desc');
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': titleId, 'aria-describedby': descId, class: 'chart' },
    s('title', { id: titleId }, title), s('desc', { id: descId }, description || ''));
  for (const v of ticks(top_)) {
    svg.append(s('line', { x1: left, x2: W, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(s('text', { x: left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(Math.round(v))));
  }
  series.forEach((name, j) => {
    const pts = points.map((p, i) => (p.values[j] === null || p.values[j] === undefined ? null : `${x(i)},${y(p.values[j])}`)).filter(Boolean);
    if (pts.length) svg.append(s('polyline', { points: pts.join(' '), class: `line series-${j}` }));
  });
  if (points.length) {
    svg.append(s('text', { x: left, y: H - 6, class: 'axis' }, points[0].label));
    svg.append(s('text', { x: W - 10, y: H - 6, class: 'axis', 'text-anchor': 'end' }, points[points.length - 1].label));
  }
  const named = series.map((name, j) => ({ name, values: points.map((p) => p.values[j]) }));
  return h('figure', { class: 'chart-figure' }, h('figcaption', {}, title), svg, legend(named),
    numbers(points.map((p) => p.label), named, showText || 'Show the numbers', labelHead || ''));
}
