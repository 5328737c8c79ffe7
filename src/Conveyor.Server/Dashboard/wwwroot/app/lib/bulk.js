// Bulk actions: on ids or on every task matching a filter, always through a dry run whose count the
// confirmation states. Without POST /api/v1/tasks/bulk, actions on selected ids fall back to the
// per-task routes this server has (cancel; retry and delete of dead tasks).

import { api, isMissingRoute, enc } from './api.js';
import { confirmDialog, toast } from './toast.js';

const verbs = { retry: 'Retry', cancel: 'Cancel', delete: 'Delete' };

/** `target`: {ids: [...]} or {filter: {...}}. Answers the number changed, or null when nothing ran. */
export async function bulkAction(action, target, { describe, fallbackTasks, onMissing } = {}) {
  let matched;
  try {
    matched = (await api('/api/v1/tasks/bulk', { method: 'POST', body: { action, ...target, dry_run: true } })).matched;
  } catch (e) {
    if (!isMissingRoute(e)) { toast(e.message, 'error'); return null; }
    if (!target.ids && onMissing) return onMissing();
    if (!target.ids) { toast('Bulk actions on a filter are not available on this server (they need POST /api/v1/tasks/bulk).', 'error'); return null; }
    return fallback(action, fallbackTasks || target.ids.map((id) => ({ id, state: null })), describe);
  }
  const what = describe || (target.ids ? 'the selected tasks' : 'every task matching the filter');
  if (matched === 0) { toast(`No task matches: nothing to ${action}.`); return 0; }
  if (!await confirmDialog(`${verbs[action]} ${matched} task${matched === 1 ? '' : 's'}?`,
    `This will ${action} ${matched} task${matched === 1 ? '' : 's'} (${what}). The action is recorded in the bulk actions log.`, `${verbs[action]} ${matched}`)) return null;
  try {
    const r = await api('/api/v1/tasks/bulk', { method: 'POST', body: { action, ...target, dry_run: false } });
    toast(`${verbs[action]}: ${r.changed} of ${r.matched} tasks changed.`, 'ok');
    return r.changed;
  } catch (e) { toast(e.message, 'error'); return null; }
}

/** One request per task, with the routes every server has. */
async function fallback(action, tasks, describe) {
  const n = tasks.length;
  if (!await confirmDialog(`${verbs[action]} ${n} task${n === 1 ? '' : 's'}?`,
    `This will ${action} ${n} task${n === 1 ? '' : 's'} (${describe || 'the selected tasks'}), one request each: this server has no bulk route, so nothing is recorded in the bulk log.`,
    `${verbs[action]} ${n}`)) return null;
  let changed = 0;
  const errors = [];
  for (const t of tasks) {
    try {
      if (action === 'cancel') { const r = await api(`/api/v1/tasks/${enc(t.id)}/cancel`, { method: 'POST' }); if (r.outcome === 'cancelled' || r.outcome === 'cancelled_while_running') changed++; }
      else if (action === 'retry') { await retryTask(t); changed++; }
      else { await deleteTask(t); changed++; }
    } catch (e) { errors.push(e.message); }
  }
  toast(`${verbs[action]}: ${changed} of ${n} tasks changed.${errors.length ? ' ' + errors[0] : ''}`, errors.length ? 'error' : 'ok');
  return changed;
}

/** Retry now: POST /tasks/{id}/retry, or, on a server without it, redrive a dead task. */
export async function retryTask(t) {
  try { return await api(`/api/v1/tasks/${enc(t.id)}/retry`, { method: 'POST' }); } catch (e) {
    if (!isMissingRoute(e) || (t.state && t.state !== 'failed')) throw e;
    return api(`/api/v1/dead-letters/${enc(t.id)}/retry`, { method: 'POST' });
  }
}

/** Delete: DELETE /tasks/{id}, or, on a server without it, purge a dead task. */
export async function deleteTask(t) {
  try { return await api(`/api/v1/tasks/${enc(t.id)}`, { method: 'DELETE' }); } catch (e) {
    if (!isMissingRoute(e) || (t.state && t.state !== 'failed')) throw e;
    return api(`/api/v1/dead-letters/${enc(t.id)}`, { method: 'DELETE' });
  }
}
