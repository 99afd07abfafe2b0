// Building the page from data without HTML strings: every text goes in
// as textContent, so nothing a user or the API sent can become markup.

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

// Replaces what `parent` shows. (Not replaceChildren: a printer's panel
// may run a browser older than it, Chromium 86 / Safari 14.)
export function show(parent, ...children) {
  parent.textContent = '';
  parent.append(...children.flat().filter(Boolean));
}

let ids = 0;
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

// A labelled input: [label, input] in a .field.
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
export function select(label, options, value) {
  const id = uid('s');
  const input = h('select', { id }, options.map(([v, t]) => h('option', { value: v }, t)));
  input.value = value;
  return { input, el: h('div', { class: 'field' }, h('label', { for: id }, label), input) };
}

// Marks the moment `what` is on screen and usable (after the next frame
// is painted): the tests read these marks (performance.getEntriesByName)
// to measure the page on a slow panel from the inside.
export function ready(what) {
  requestAnimationFrame(() => setTimeout(() => performance.mark(`sr:${what}`), 0));
}
