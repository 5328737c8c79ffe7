// Bulk actions (POST /api/v1/tasks/bulk): on ids or on every task matching a filter, always
// through a dry run whose count the confirmation states. Every action taken is recorded in the
// bulk actions log.

import { api } from './api.js';
import { confirmDialog, toast } from './toast.js';

const verbs = { retry: 'Retry', cancel: 'Cancel', delete: 'Delete' };
const tasks = (n) => `${n} task${n === 1 ? '' : 's'}`;

/** `target`: {ids: [...]} or {filter: {...}}. Answers the number changed, or null when nothing ran. */
export async function bulkAction(action, target, { describe } = {}) {
  try {
    const { matched } = await api('/api/v1/tasks/bulk', { method: 'POST', body: { action, ...target, dry_run: true } });
    const what = describe || (target.ids ? 'the selected tasks' : 'every task matching the filter');
    if (matched === 0) { toast(`No task matches: nothing to ${action}.`); return 0; }
    if (!await confirmDialog(`${verbs[action]} ${tasks(matched)}?`,
      `This will ${action} ${tasks(matched)} (${what}). The action is recorded in the bulk actions log.`, `${verbs[action]} ${matched}`)) return null;
    const r = await api('/api/v1/tasks/bulk', { method: 'POST', body: { action, ...target, dry_run: false } });
    toast(`${verbs[action]}: ${r.changed} of ${tasks(r.matched)} changed.`, 'ok');
    return r.changed;
  } catch (e) { toast(e.message, 'error'); return null; }
}
