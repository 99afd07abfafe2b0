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
    else if (k === 'disabled' || k === 'hidden') el[k] = v;
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

// A labelled input in a .field: {el, input}.
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

// A message in `box` (a live region): kind 'error', 'info' or 'ok'.
export function say(box, kind, text) {
  show(box, text ? h('p', { class: `msg ${kind}` }, text) : null);
}

// Marks the page as ready for tests' timing (harness.mjs mark()).
export function ready(name) {
  performance.mark(`sr:${name}`);
}
