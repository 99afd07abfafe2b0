// Building pages from data without HTML strings: every text goes in as
// textContent, so nothing a user or the API sent can become markup.

// h('button', {class: 'x', onclick: f, 'aria-label': 'y'}, 'text', child...)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'disabled') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Replaces what `parent` shows.
export function show(parent, ...children) {
  parent.textContent = '';
  parent.append(...children.flat().filter(Boolean));
}

let ids = 0;
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

// A labelled input: {input, el} (el: the .field holding label, input, hint).
export function field(label, attrs, hint) {
  const id = uid('f');
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h('input', { id, 'aria-describedby': hintId, ...attrs });
  return {
    input,
    el: h('div', { class: 'field' }, h('label', { for: id }, label), input,
      hint ? h('p', { id: hintId, class: 'hint' }, hint) : null),
  };
}

// A labelled select from [[value, text], ...].
export function select(label, options, value, hint) {
  const id = uid('s');
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h('select', { id, 'aria-describedby': hintId }, options.map(([v, t]) => h('option', { value: v }, t)));
  if (value !== undefined) input.value = value;
  return {
    input,
    el: h('div', { class: 'field' }, h('label', { for: id }, label), input,
      hint ? h('p', { id: hintId, class: 'hint' }, hint) : null),
  };
}

// A table: head [text...], rows [[cell...]...] (a cell: text or Node).
export function table(caption, head, rows, empty) {
  if (!rows.length && empty) return h('p', { class: 'empty' }, empty);
  return h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

// A message box: kind 'error', 'ok' or 'info'; errors are announced.
export function message(kind, text) {
  return h('p', { class: `msg ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// Marks the moment `what` is on screen and usable (after the next frame
// is painted): tests read these marks (performance.getEntriesByName).
export function ready(what) {
  requestAnimationFrame(() => setTimeout(() => performance.mark(`sr:${what}`), 0));
}
