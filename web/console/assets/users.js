// Users: add, change the region of, remove (GET/POST/PATCH/DELETE
// /users); delegations (GET/POST/DELETE /delegations); how cards are
// enrolled (at a printer: the console never sees a card number).

import { api } from '/web/shared/api.js';
import { h, show, table, field, select, message, ready } from '/web/shared/dom.js';
import { t } from './strings.js';

const u = t.users;

export async function render(main, ctx, notice) {
  const [users, dels, regions] = await Promise.all([api('GET', '/users'), api('GET', '/delegations'),
    api('GET', '/regions').catch(() => ({ regions: [] }))]);
  const edit = ctx.canChange('users');
  const note = h('div', { 'aria-live': 'polite' }, notice ? message('ok', notice) : null);
  const fail = (what) => (e) => show(note, message('error', t.failed(what, e)));
  const regionOptions = [['', u.regionDefault], ...(regions.regions || []).map((r) => [r.name, r.label || r.name])];
  const rows = users.users.map((x) => {
    const cells = [x.email, x.name, x.has_card ? t.yes : t.no, x.has_pin ? t.yes : t.no];
    if (edit) {
      const reg = select(`${u.region} (${x.email})`, regionOptions, x.region || '');
      reg.el.classList.add('compact');
      reg.input.addEventListener('change', () => api('PATCH', `/users/${encodeURIComponent(x.id)}`, { region: reg.input.value || null })
        .then(() => show(note, message('ok', u.saved))).catch(fail(u.region)));
      cells.push(reg.el, h('button', { type: 'button', class: 'danger', 'aria-label': `${t.remove} ${x.email}`, onclick: () => {
        if (!window.confirm(t.confirmRemove(x.email))) return;
        api('DELETE', `/users/${encodeURIComponent(x.id)}`).then(() => render(main, ctx, u.removed(x.email))).catch(fail(t.remove));
      } }, t.remove));
    } else cells.push(x.region || u.regionDefault);
    return cells;
  });
  let addForm = h('p', { class: 'meta' }, t.readOnly), delForm = null;
  if (edit) {
    const email = field(u.email, { type: 'email', required: true, autocomplete: 'off' });
    const name = field(u.name, { maxlength: '120', autocomplete: 'off' });
    addForm = h('form', { class: 'panel', onsubmit: (ev) => {
      ev.preventDefault();
      const body = { email: email.input.value };
      if (name.input.value) body.name = name.input.value;
      api('POST', '/users', body).then((r) => render(main, ctx, u.added(r.email))).catch(fail(u.add));
    } }, h('h2', {}, u.add), email.el, name.el, h('button', { type: 'submit' }, t.add));
    const emails = users.users.map((x) => [x.email, x.email]);
    const owner = select(u.owner, emails), delegate = select(u.delegate, emails);
    delForm = h('form', { class: 'panel', onsubmit: (ev) => {
      ev.preventDefault();
      api('POST', '/delegations', { owner: owner.input.value, delegate: delegate.input.value })
        .then(() => render(main, ctx, u.delegationAdded)).catch(fail(u.addDelegation));
    } }, h('h3', {}, u.addDelegation), owner.el, delegate.el, h('button', { type: 'submit' }, t.add));
  }
  const delRows = dels.delegations.map((d) => [d.owner, d.delegate, d.until ? d.until.replace('T', ' ').replace('Z', ' UTC') : u.forever,
    edit ? h('button', { type: 'button', class: 'danger', 'aria-label': `${t.remove} ${d.owner} → ${d.delegate}`, onclick: () =>
      api('DELETE', `/delegations/${encodeURIComponent(d.id)}`).then(() => render(main, ctx)).catch(fail(t.remove)) }, t.remove) : null]);
  show(main, h('h1', { tabindex: '-1' }, u.title), note,
    table(null, [u.email, u.name, u.card, u.pin, u.region, ...(edit ? [t.remove] : [])], rows, u.none),
    h('p', { class: 'msg info' }, u.cards), addForm,
    h('section', { 'aria-labelledby': 'del-h' }, h('h2', { id: 'del-h' }, u.delegations),
      table(null, [u.owner, u.delegate, u.until, ...(edit ? [t.remove] : [])], delRows.map((r) => r.filter((c) => c !== null)), u.none), delForm));
  ready('users');
}
