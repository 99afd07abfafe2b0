// Scouts: print scouts and site services, online or not, their version
// and last health report (GET /scouts); a new one's one-time enrollment
// token (POST /scouts); removal revokes its certificate.

import { api } from '/web/shared/api.js';
import { h, show, table, field, select, message, ready } from '/web/shared/dom.js';
import { t } from './strings.js';

const s = t.scouts;

export async function render(main, ctx) {
  const list = (await api('GET', '/scouts')).scouts;
  const note = h('div', { 'aria-live': 'polite' });
  const edit = ctx.canChange('scouts');
  const rows = list.map((x) => {
    const cells = [x.name, x.kind === 'site' ? s.site : s.print,
      h('span', { class: x.online ? 'good' : 'bad' }, x.online ? t.yes : t.no),
      x.version || t.none, x.last_error || t.none, x.last_seen ? x.last_seen.replace('T', ' ').replace('Z', ' UTC') : t.none];
    if (edit) {
      cells.push(h('button', { type: 'button', class: 'danger', 'aria-label': `${t.remove} ${x.name}`, onclick: async () => {
        if (!window.confirm(t.confirmRemove(x.name))) return;
        try {
          await api('DELETE', `/scouts/${encodeURIComponent(x.id)}`);
          await render(main, ctx);
          main.querySelector('[aria-live]').append(message('ok', s.removed(x.name)));
        } catch (e) {
          show(note, message('error', t.failed(t.remove, e)));
        }
      } }, t.remove));
    }
    return cells;
  });
  const form = edit ? (() => {
    const kind = select(s.kindLabel, [['print', s.print], ['site', s.site]], 'print');
    const name = field(s.nameLabel, { required: true, maxlength: '120', autocomplete: 'off' });
    const user = field(s.userLabel, { type: 'email', autocomplete: 'off' });
    return h('form', { class: 'panel', onsubmit: async (ev) => {
      ev.preventDefault();
      const body = { kind: kind.input.value, name: name.input.value };
      if (user.input.value && body.kind === 'print') body.user = user.input.value;
      try {
        const r = await api('POST', '/scouts', body);
        await render(main, ctx);
        main.querySelector('[aria-live]').append(message('ok', s.token(r.enrollment_token, r.expires_in)), h('p', { class: 'hint' }, s.tokenHow));
      } catch (e) {
        show(note, message('error', t.failed(s.add, e)));
      }
    } }, h('h2', {}, s.add), kind.el, name.el, user.el, h('button', { type: 'submit' }, t.add));
  })() : h('p', { class: 'meta' }, t.readOnly);
  show(main, h('h1', { tabindex: '-1' }, s.title), note,
    table(null, [s.name, s.kind, s.online, s.version, s.health, s.lastSeen, ...(edit ? [t.remove] : [])], rows, s.none), form);
  ready('scouts');
}
