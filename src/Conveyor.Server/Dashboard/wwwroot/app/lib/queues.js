// The queue table shared by the overview and the queues page.

import { api } from './api.js';
import { h, table, button, when } from './dom.js';
import { num, age } from './format.js';
import { href } from './router.js';

/** Queues (GET /api/v1/queues): counts, rates, oldest waiting task, live consumers (`workers`). */
export const loadQueues = async () => (await api('/api/v1/queues')).queues;

export function queueTable(queues, { actions } = {}) {
  const columns = ['Queue', 'Pending', 'Scheduled', 'Running', 'Dead', 'State', 'Succeeded/min', 'Failed/min', 'Oldest waiting', 'Workers'];
  if (actions) columns.push('Actions');
  const rows = queues.map((q) => {
    const orphan = q.pending > 0 && q.workers === 0;
    const cells = [
      h('a', { href: href('tasks', { queue: q.name }) }, q.name),
      h('a', { href: href('tasks', { queue: q.name, state: 'pending' }), class: 'count', 'data-count': 'pending' }, num(q.pending)),
      num(q.scheduled),
      h('span', { 'data-count': 'running' }, num(q.running)),
      h('a', { href: href('dead', { queue: q.name }) }, num(q.failed)),
      q.paused ? h('span', { class: 'badge paused' }, 'paused') : h('span', { class: 'badge active' }, 'active'),
      num(q.succeeded_per_minute),
      num(q.failed_per_minute),
      h('span', { 'data-count': 'oldest' }, q.oldest_pending_at ? when(q.oldest_pending_at, age(q.oldest_pending_at)) : h('span', { class: 'muted' }, 'none waiting')),
      h('span', { 'data-count': 'workers' }, orphan ? h('span', { class: 'warning', role: 'note' }, '⚠ no live worker consumes this queue') : num(q.workers)),
    ];
    if (actions) cells.push(actions(q));
    return cells;
  });
  return table('Queues', columns, rows, 'No queues yet: submit a task to create one.');
}

export const pauseButton = (q, act) => q.paused
  ? button('Resume', () => act(`Queue ${q.name} resumed.`, () => api(`/api/v1/queues/${encodeURIComponent(q.name)}/resume`, { method: 'POST' })), { 'aria-label': `Resume queue ${q.name}` })
  : button('Pause', () => act(`Queue ${q.name} paused.`, () => api(`/api/v1/queues/${encodeURIComponent(q.name)}/pause`, { method: 'POST' })), { 'aria-label': `Pause queue ${q.name}` });
