// The queue table shared by the overview and the queues page.

import { api, optional } from './api.js';
import { h, table, button } from './dom.js';
import { num, age } from './format.js';
import { href } from './router.js';

/** Queues (GET /api/v1/queues) with, for each, how many live workers consume it. */
export async function loadQueues() {
  const [q, w] = await Promise.all([api('/api/v1/queues'), optional('/api/v1/workers')]);
  const live = w?.workers || [];
  return (q.queues || []).map((x) => ({
    ...x,
    consumers: typeof x.workers === 'number' ? x.workers : live.filter((k) => (k.queues || []).includes(x.name)).length,
  }));
}

export function queueTable(queues, { actions } = {}) {
  const columns = ['Queue', 'Pending', 'Scheduled', 'Running', 'Dead', 'State', 'Succeeded/min', 'Failed/min', 'Oldest waiting', 'Workers'];
  if (actions) columns.push('Actions');
  const rows = queues.map((q) => {
    const orphan = q.pending > 0 && q.consumers === 0;
    const cells = [
      h('a', { href: href('tasks', { queue: q.name }) }, q.name),
      h('a', { href: href('tasks', { queue: q.name, state: 'pending' }), class: 'count', 'data-count': 'pending' }, num(q.pending)),
      num(q.scheduled),
      h('span', { 'data-count': 'running' }, num(q.running)),
      h('a', { href: href('dead', { queue: q.name }) }, num(q.failed)),
      q.paused ? h('span', { class: 'badge paused' }, 'paused') : h('span', { class: 'badge active' }, 'active'),
      num(q.succeeded_per_minute),
      num(q.failed_per_minute),
      q.oldest_pending_at === undefined ? h('span', { class: 'muted', title: 'this server does not report it' }, 'n/a') : age(q.oldest_pending_at),
      orphan ? h('span', { class: 'warning', role: 'note' }, `⚠ no live worker consumes this queue`) : num(q.consumers),
    ];
    if (actions) cells.push(actions(q));
    return cells;
  });
  return table('Queues', columns, rows, 'No queues yet: submit a task to create one.');
}

export const pauseButton = (q, act) => q.paused
  ? button('Resume', () => act(`Queue ${q.name} resumed.`, () => api(`/api/v1/queues/${encodeURIComponent(q.name)}/resume`, { method: 'POST' })), { 'aria-label': `Resume queue ${q.name}` })
  : button('Pause', () => act(`Queue ${q.name} paused.`, () => api(`/api/v1/queues/${encodeURIComponent(q.name)}/pause`, { method: 'POST' })), { 'aria-label': `Pause queue ${q.name}` });
