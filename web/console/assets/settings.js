// Settings: hold time and warning, retention, cloud copy, document
// handling, release codes, the default region (PATCH /settings: every
// change lands in the audit log); regions and their privacy and the
// identity providers, read only; console roles when configured.

import { api } from '/web/shared/api.js';
import { h, show, field, select, message, table, ready } from '/web/shared/dom.js';
import { t } from './strings.js';

const st = t.settings;

// seconds -> "48h", "90d", "30m", "45s": what the API takes back
function duration(sec) {
  if (sec === 0) return '0';
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60]]) if (sec % n === 0) return `${sec / n}${unit}`;
  return `${sec}s`;
}

export async function render(main, ctx, notice) {
  const [s, regions] = await Promise.all([api('GET', '/settings'), api('GET', '/regions').catch(() => ({ regions: [] }))]);
  const edit = ctx.canChange('settings');
  const note = h('div', { 'aria-live': 'polite' }, notice ? message('ok', notice) : null);
  const dis = edit ? {} : { disabled: true };
  const f = {
    hold_time: field(st.holdTime, { value: duration(s.hold_time), required: true, ...dis }, st.holdTimeHint),
    expiry_warning: field(st.warning, { value: duration(s.expiry_warning), required: true, ...dis }, st.warningHint),
    retention: field(st.retention, { value: duration(s.retention), required: true, ...dis }, st.retentionHint),
    cloud_copy: select(st.cloudCopy, [['off', 'off'], ['immediate', 'immediate'], ['deferred', 'deferred']], s.cloud_copy, st.cloudCopyHint),
    copy_after: field(st.copyAfter, { value: duration(s.copy_after), required: true, ...dis }, st.copyAfterHint),
    document_handling: field(st.handling, { value: (s.document_handling || []).join(', '), required: true, ...dis }, st.handlingHint),
    release_codes: select(st.releaseCodes, [['both', 'both'], ['static', 'static'], ['rotating', 'rotating']], s.release_codes),
    region: select(st.region, (regions.regions || []).map((r) => [r.name, r.label || r.name]), s.region),
  };
  for (const k of ['cloud_copy', 'release_codes', 'region']) f[k].input.disabled = !edit;
  const original = {};
  for (const [k, v] of Object.entries(f)) original[k] = v.input.value;
  const form = h('form', { class: 'panel settings', onsubmit: async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const [k, v] of Object.entries(f)) {
      if (v.input.value === original[k]) continue;
      body[k] = k === 'document_handling' ? v.input.value.split(',').map((x) => x.trim()).filter(Boolean) : v.input.value;
    }
    if (!Object.keys(body).length) return;
    try {
      await api('PATCH', '/settings', body);
      await render(main, ctx, st.saved);
    } catch (e) {
      show(note, message('error', t.failed(st.title, e)));
    }
  } }, Object.values(f).map((x) => x.el), edit ? h('button', { type: 'submit' }, t.save) : h('p', { class: 'meta' }, t.readOnly));

  const regionRows = (regions.regions || []).map((r) => [r.label || r.name, r.name, `title: ${r.privacy.title}, user: ${r.privacy.user}`]);
  // console_roles (docs/console.md, "Roles"): which provider groups give which role
  const roles = s.console_roles;
  let rolesBody = h('p', { class: 'meta' }, st.noRoles);
  if (roles && typeof roles === 'object') {
    const rf = ['administrator', 'helpdesk', 'readonly'].map((role) => [role, field(st.rolesGroups(role), { value: (roles[role] || []).join(', '), autocomplete: 'off', ...dis })]);
    rolesBody = h('form', { class: 'panel', onsubmit: async (ev) => {
      ev.preventDefault();
      const value = {};
      for (const [role, x] of rf) value[role] = x.input.value.split(',').map((g) => g.trim()).filter(Boolean);
      try {
        await api('PATCH', '/settings', { console_roles: value });
        await render(main, ctx, st.saved);
      } catch (e) {
        show(note, message('error', t.failed(st.roles, e)));
      }
    } }, rf.map(([, x]) => x.el), edit ? h('button', { type: 'submit' }, t.save) : null);
  }
  const rolesSection = h('section', { 'aria-labelledby': 'roles-h' }, h('h2', { id: 'roles-h' }, st.roles), h('p', { class: 'hint' }, st.rolesNote), rolesBody);
  show(main, h('h1', { tabindex: '-1' }, st.title), note, form,
    h('section', { 'aria-labelledby': 'reg-h' }, h('h2', { id: 'reg-h' }, st.regions), table(null, [st.regionName, st.regionId, st.privacy], regionRows)),
    rolesSection,
    h('section', { 'aria-labelledby': 'idp-h' }, h('h2', { id: 'idp-h' }, st.idps), h('p', {}, st.idpsNote)));
  ready('settings');
}
