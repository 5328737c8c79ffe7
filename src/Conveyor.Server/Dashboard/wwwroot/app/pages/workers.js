// Workers: live ones (host, pid, queues, concurrency, types, running tasks with age, counters,
// last heartbeat) and those that went silent; quiet and stop.

import { api, enc } from '../lib/api.js';
import { h, replace, section, table, button, errorBox, when } from '../lib/dom.js';
import { ago, age, num, shortId } from '../lib/format.js';
import { act, confirmDialog } from '../lib/toast.js';
import { coalesce } from '../lib/schedule.js';
import * as events from '../lib/events.js';

function runningCell(w) {
  if (w.running.length === 0) return h('span', { class: 'muted' }, 'idle');
  return h('ul', { class: 'plain' }, w.running.map((r) => h('li', null,
    h('a', { href: `#/tasks/${encodeURIComponent(r.task_id)}`, class: 'mono' }, shortId(r.task_id)), ` ${r.type} · `, when(r.started_at, age(r.started_at)))));
}

export default {
  title: 'Workers',
  render(main) {
    const live = h('div', { id: 'workers-live' }, h('p', { class: 'muted' }, 'Loading…'));
    const silent = h('div', { id: 'workers-silent' });
    main.append(h('h1', null, 'Workers'),
      h('p', { class: 'muted' }, 'Quiet: stop leasing and finish what it holds. Stop: drain and exit. Both reach the worker in the answer to its next heartbeat.'),
      section('Live', live), section('Silent (no heartbeat recently, within the last hour)', silent));

    const command = (w, verb) => async () => {
      if (verb === 'stop' && !await confirmDialog(`Stop worker ${w.id}?`, 'It finishes what it holds, then its process exits.', 'Stop')) return;
      await act(`Worker ${w.id}: ${verb} sent.`, () => api(`/api/v1/workers/${enc(w.id)}/${verb}`, { method: 'POST' }));
      load();
    };

    const row = (w, actions) => [
      h('span', { class: 'mono' }, w.id), w.host, String(w.pid), (w.queues || []).join(', '), String(w.concurrency),
      h('span', { class: 'wrap' }, w.types.length ? w.types.join(', ') : '—'),
      h('span', { class: `badge worker-${w.status}` }, w.status), runningCell(w),
      `${num(w.processed)} / ${num(w.failed)}`, when(w.last_heartbeat, ago(w.last_heartbeat)),
      actions ? h('div', { class: 'row-actions' },
        button('Quiet', command(w, 'quiet'), { 'aria-label': `Quiet worker ${w.id}`, disabled: w.status !== 'running' }),
        button('Stop', command(w, 'stop'), { class: 'button danger', 'aria-label': `Stop worker ${w.id}` })) : null,
    ];
    const columns = ['Id', 'Host', 'Pid', 'Queues', 'Concurrency', 'Types', 'Status', 'Running', 'Processed / failed', 'Last heartbeat'];

    async function load() {
      try {
        const data = await api('/api/v1/workers');
        replace(live, table('Live workers', [...columns, 'Actions'], data.workers.map((w) => row(w, true)),
          'No live worker. Start one with `conveyor worker --broker <this server>` (conveyor up runs its own).'));
        replace(silent, table('Silent workers', columns, data.silent.map((w) => row(w, false).slice(0, -1)),
          'None: every worker heard from in the last hour is still beating.'));
      } catch (e) { replace(live, errorBox(e)); }
    }
    load();
    const refresh = coalesce(load, 1000);
    const offs = [events.on('stats', refresh), events.on('poll', refresh)];
    return () => { offs.forEach((f) => f()); refresh.cancel(); };
  },
};
