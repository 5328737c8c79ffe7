// Task detail: every field, args, result, error with detail, attempts as a timeline, live
// progress, and actions: cancel, retry now, delete, clone and edit (the submit page prefilled).

import { api, ApiError, enc } from '../lib/api.js';
import { h, replace, section, badge, button, json, errorBox, when } from '../lib/dom.js';
import { ago, duration } from '../lib/format.js';
import { href, navigate } from '../lib/router.js';
import { act, confirmDialog } from '../lib/toast.js';
import { coalesce } from '../lib/schedule.js';
import * as events from '../lib/events.js';

/** A relative time, the absolute one on hover. */
const stamp = (iso) => when(iso, ago(iso));
const took = (a) => { const ms = Date.parse(a.finished_at) - Date.parse(a.started_at); return ms < 1000 ? `${ms} ms` : duration(Math.round(ms / 1000)); };
const terminal = (s) => s === 'succeeded' || s === 'failed' || s === 'cancelled';

export default {
  title: 'Task',
  render(main, { params }) {
    const id = params[0];
    const body = h('div', { id: 'task-detail' }, h('p', { class: 'muted' }, 'Loading…'));
    main.append(h('p', { class: 'crumbs' }, h('a', { href: '#/tasks' }, '← Tasks')), h('h1', null, 'Task ', h('span', { class: 'mono' }, id)), body);
    let progressTimer = null;
    let gone = false;

    async function load() {
      let t;
      try { t = await api(`/api/v1/tasks/${enc(id)}`); } catch (e) {
        replace(body, e instanceof ApiError && e.status === 404 ? h('p', { class: 'notice' }, `There is no task ${id} (it may have been deleted or expired).`) : errorBox(e));
        gone = true;
        return;
      }
      render(t);
      clearTimeout(progressTimer);
      // Progress arrives with the worker's heartbeats, not as events: re-read a running task every 2 s.
      if (t.state === 'running' && !gone) progressTimer = setTimeout(load, 2000);
    }

    function render(t) {
      const fields = [
        ['State', h('span', { id: 'task-state' }, badge(t.state))],
        ['Type', t.type], ['Queue', h('a', { href: href('tasks', { queue: t.queue }) }, t.queue)],
        ['Priority', String(t.priority)], ['Attempt', `${t.attempt} of ${t.max_attempts}`],
        ['Created', stamp(t.created_at)], ['Scheduled for', stamp(t.scheduled_for)],
        ['Started', stamp(t.started_at)], ['Finished', stamp(t.finished_at)],
        ['Worker', t.worker_id || t.attempts.at(-1)?.worker_id || '—'], ['Idempotency key', t.idempotency_key || '—'],
        ['Timeout', `${t.timeout} s`],
      ];
      const meta = Object.entries(t.metadata || {});
      const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Task actions' },
        !terminal(t.state) ? button('Cancel', () => act('Cancel requested.', () => api(`/api/v1/tasks/${enc(t.id)}/cancel`, { method: 'POST' })).then(load), { id: 'action-cancel' }) : null,
        t.state !== 'running' && t.state !== 'pending' && t.state !== 'succeeded' ? button('Retry now', () => act('Task queued again.', () => api(`/api/v1/tasks/${enc(t.id)}/retry`, { method: 'POST' })).then(load), { id: 'action-retry' }) : null,
        t.state !== 'running' ? button('Delete', async () => {
          if (!await confirmDialog('Delete this task?', `Task ${t.id} and its history will be removed.`, 'Delete')) return;
          const ok = await act('Task deleted.', () => api(`/api/v1/tasks/${enc(t.id)}`, { method: 'DELETE' }));
          if (ok !== undefined) navigate('tasks');
        }, { id: 'action-delete', class: 'button danger' }) : null,
        h('a', { class: 'button', href: href('submit', { clone: t.id }), id: 'action-clone' }, 'Clone and edit'));

      replace(body,
        actions,
        section('Summary', h('dl', { class: 'fields' }, fields.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
        t.progress || t.state === 'running' ? section('Progress',
          h('progress', { id: 'task-progress', max: '100', value: String(t.progress?.percent ?? 0), 'aria-label': 'Progress' }),
          h('p', null, `${t.progress?.percent ?? 0}%`, t.progress?.message ? ` — ${t.progress.message}` : '')) : null,
        meta.length ? section('Metadata', h('dl', { class: 'fields' }, meta.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))) : null,
        section('Arguments', json(t.args, { id: 'task-args' })),
        t.result !== undefined && t.result !== null ? section('Result', json(t.result, { id: 'task-result' })) : null,
        t.error ? section('Error', h('div', { id: 'task-error' },
          h('p', null, h('strong', null, t.error.type), ': ', h('span', { class: 'error-text' }, t.error.message)),
          t.error.detail ? h('details', null, h('summary', null, 'Detail'), h('pre', { class: 'json' }, t.error.detail)) : null)) : null,
        section('Attempts', t.attempts.length === 0 ? h('p', { class: 'muted' }, 'Not started yet.') :
          h('ol', { class: 'timeline', id: 'task-attempts' }, t.attempts.map((a) => h('li', { class: `attempt outcome-${a.outcome}` },
            h('p', { class: 'attempt-head' }, h('strong', null, `Attempt ${a.number}`), ` · ${a.outcome.replaceAll('_', ' ')} · worker ${a.worker_id || '?'}`),
            h('p', { class: 'muted' }, 'started ', stamp(a.started_at), a.finished_at ? [', finished ', stamp(a.finished_at), ` after ${took(a)}`] : ''),
            a.error ? h('p', { class: 'error-text' }, `${a.error.type}: ${a.error.message}`) : null)))));
    }

    load();
    const refresh = coalesce(load, 200);
    const off = events.on('task', (e) => { if (e.task_id === id) refresh(); });
    const offPoll = events.on('poll', refresh);
    return () => { gone = true; off(); offPoll(); refresh.cancel(); clearTimeout(progressTimer); };
  },
};
