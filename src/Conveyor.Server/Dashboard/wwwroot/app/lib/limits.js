// A queue's rate and concurrency limits (GET/PUT/DELETE /api/v1/queues/{name}/limits): each limit with
// its usage now (running, started in the window, waiting, per key value), a form to add or replace
// one and a remove button. Used by the queues page.

import { api, enc } from './api.js';
import { h, table, button } from './dom.js';
import { num } from './format.js';

/** Every queue's limits: [{queue, limits:[{limit, usage}]}], queues without limits left out. */
export async function loadLimits(queueNames) {
  const all = await Promise.all(queueNames.map((q) => api(`/api/v1/queues/${enc(q)}/limits`)));
  return all.filter((r) => r.limits.length > 0);
}

const bound = (l) => [
  l.concurrency != null ? `${num(l.concurrency)} running` : null,
  l.rate != null ? `${num(l.rate)} per ${l.interval}s` : null,
].filter(Boolean).join(', ');

/** One row per limit and key value in use (a limit with no usage yet gets one row). */
export function limitsTable(perQueue, { remove }) {
  const rows = [];
  for (const { queue, limits } of perQueue) {
    for (const { limit, usage } of limits) {
      const keys = usage.length ? usage : [{ key: '', running: 0, started_in_window: 0, waiting: 0 }];
      keys.forEach((u, i) => rows.push([
        queue,
        limit.name,
        limit.key || 'whole queue',
        bound(limit),
        limit.key ? (u.key || '—') : '—',
        h('span', { 'data-usage': 'running' }, num(u.running)),
        num(u.started_in_window),
        h('span', { 'data-usage': 'waiting' }, num(u.waiting)),
        i === 0 ? button('Remove', () => remove(queue, limit.name), { 'aria-label': `Remove limit ${limit.name} of queue ${queue}` }) : '',
      ]));
    }
  }
  return table('Limits', ['Queue', 'Limit', 'Counted per', 'At most', 'Value', 'Running', 'Started in window', 'Waiting', 'Actions'], rows,
    'No limits: every queue leases as fast as its workers take work.');
}

export const removeLimit = (queue, name) => api(`/api/v1/queues/${enc(queue)}/limits/${enc(name)}`, { method: 'DELETE' });

/** The add-or-replace form; `onSet(label, fn)` runs the PUT (with a toast) and reloads. */
export function limitForm(onSet) {
  const field = (id, label, attrs) => h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, ...attrs }));
  const form = h('form', { class: 'limit-form', 'aria-label': 'Set a limit', onsubmit: (e) => { e.preventDefault(); submit(); } },
    h('div', { class: 'field-row' },
      field('l-queue', 'Queue', { name: 'queue', required: true, value: 'default' }),
      field('l-name', 'Limit name', { name: 'name', required: true, placeholder: 'per-tenant' }),
      field('l-key', 'Counted per (optional)', { name: 'key', placeholder: 'metadata.tenant or args.customer' })),
    h('div', { class: 'field-row' },
      field('l-concurrency', 'At most running', { name: 'concurrency', type: 'number', min: '1' }),
      field('l-rate', 'At most started', { name: 'rate', type: 'number', min: '1' }),
      field('l-interval', 'per (seconds)', { name: 'interval', type: 'number', min: '0.001', step: 'any' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Set limit')));
  const submit = () => {
    const d = Object.fromEntries(new FormData(form));
    const n = (v) => (v === '' || v == null ? undefined : Number(v));
    const body = { key: d.key || undefined, concurrency: n(d.concurrency), rate: n(d.rate), interval: n(d.interval) };
    onSet(`Limit ${d.name} of queue ${d.queue} set.`, () => api(`/api/v1/queues/${enc(d.queue)}/limits/${enc(d.name)}`, { method: 'PUT', body }));
  };
  return form;
}
