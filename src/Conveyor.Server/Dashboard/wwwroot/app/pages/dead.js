// Dead letters: grouped by error type with counts, the dead tasks of a filter, retry one / retry
// all matching, edit the args then redrive, delete.

import { api, enc } from '../lib/api.js';
import { h, replace, section, table, button, errorBox, when } from '../lib/dom.js';
import { ago, num, shortId } from '../lib/format.js';
import { href, navigate } from '../lib/router.js';
import { act, confirmDialog } from '../lib/toast.js';
import { bulkAction } from '../lib/bulk.js';
import { coalesce } from '../lib/schedule.js';
import * as events from '../lib/events.js';

export default {
  title: 'Dead letters',
  render(main, { query }) {
    const filter = { queue: query.get('queue') || '', type: query.get('type') || '', error_type: query.get('error_type') || '' };
    const cursor = query.get('cursor') || '';
    const groupsBox = h('div', { id: 'dead-groups' }, h('p', { class: 'muted' }, 'Loading…'));
    const listBox = h('div', { id: 'dead-list' }, h('p', { class: 'muted' }, 'Loading…'));
    const form = h('form', { class: 'filters', 'aria-label': 'Filter dead letters', onsubmit: (e) => {
      e.preventDefault();
      navigate('dead', Object.fromEntries(new FormData(form)));
    } },
    ['queue', 'type', 'error_type'].map((k) => h('div', { class: 'field' },
      h('label', { for: `d-${k}` }, { queue: 'Queue', type: 'Type', error_type: 'Error type' }[k]),
      h('input', { id: `d-${k}`, name: k, value: filter[k] }))),
    h('div', { class: 'field buttons' }, h('button', { type: 'submit', class: 'button primary' }, 'Filter'), h('a', { class: 'button', href: '#/dead' }, 'Clear')));

    const retryAll = button('Retry all matching', () => retryMatching(), { id: 'retry-all', class: 'button primary' });
    main.append(h('h1', null, 'Dead letters'),
      h('p', { class: 'muted' }, 'Tasks that used up their attempts (state failed). Retrying puts them back to pending with their attempts reset.'),
      section('By error type', groupsBox), form, h('div', { class: 'actions' }, retryAll), section('Dead tasks', listBox));

    async function retryMatching() {
      const f = { state: 'failed', queue: filter.queue || undefined, type: filter.type || undefined, error_type: filter.error_type || undefined };
      await bulkAction('retry', { filter: f }, { describe: 'every dead task matching the filter' });
      load();
    }

    async function editArgs(t) {
      const area = h('textarea', { id: 'edit-args', rows: '10', class: 'code', 'aria-describedby': 'edit-args-status' }, JSON.stringify(t.args, null, 2));
      const status = h('p', { id: 'edit-args-status', class: 'muted' }, 'Valid JSON.');
      const go = h('button', { type: 'button', class: 'button primary', id: 'redrive-edited' }, 'Redrive with these args');
      area.addEventListener('input', () => {
        try { JSON.parse(area.value); status.textContent = 'Valid JSON.'; status.className = 'muted'; go.disabled = false; area.removeAttribute('aria-invalid'); } catch (e) {
          status.textContent = `Not valid JSON: ${e.message}`; status.className = 'error-text'; go.disabled = true; area.setAttribute('aria-invalid', 'true');
        }
      });
      const dialog = h('dialog', { class: 'dialog wide', 'aria-labelledby': 'edit-title' },
        h('h2', { id: 'edit-title' }, `Edit the args of ${shortId(t.id)}`), h('label', { for: 'edit-args' }, 'Arguments (JSON)'), area, status,
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button', onclick: () => { dialog.close(); dialog.remove(); } }, 'Cancel'), go));
      go.addEventListener('click', async () => {
        const args = JSON.parse(area.value);
        dialog.close(); dialog.remove();
        await act('Redriven with edited args.', () => api(`/api/v1/dead-letters/${enc(t.id)}/retry`, { method: 'POST', body: { args } }));
        load();
      });
      document.body.append(dialog);
      dialog.showModal();
    }

    async function loadGroups() {
      const { groups, complete } = await api('/api/v1/dead-letters/groups', { query: { queue: filter.queue } });
      replace(groupsBox, table('Dead letters by error type', ['Error type', 'Count', 'Latest message', 'Last died', ''], groups.map((g) => [
        h('a', { href: href('dead', { ...filter, error_type: g.error_type }) }, g.error_type), num(g.count),
        h('span', { class: 'error-text' }, g.sample_message), when(g.last_at, ago(g.last_at)),
        h('a', { href: href('dead', { ...filter, error_type: g.error_type }), 'aria-label': `Show the dead tasks with error ${g.error_type}` }, 'Show'),
      ]), filter.queue ? `No dead task in queue ${filter.queue}.` : 'No dead letters: every task that ran out of attempts would be listed here.'),
      complete === false ? h('p', { class: 'muted' }, 'Counted over the newest 10,000 dead tasks of each queue; older ones are not in these counts.') : null);
    }

    async function loadList() {
      // By error type: the task search (state failed, error_type), which may answer a short page and a cursor.
      const page = filter.error_type
        ? await api('/api/v1/tasks', { query: { state: 'failed', queue: filter.queue, type: filter.type, error_type: filter.error_type, limit: 50, cursor } })
        : await api('/api/v1/dead-letters', { query: { queue: filter.queue, type: filter.type, limit: 50, cursor } });
      const items = page.items;
      replace(listBox, table('Dead tasks', ['Task', 'Type', 'Queue', 'Error', 'Died', 'Actions'], items.map((t) => [
        h('a', { href: `#/tasks/${encodeURIComponent(t.id)}`, class: 'mono' }, shortId(t.id)), t.type, t.queue,
        h('span', { class: 'error-text' }, t.error ? `${t.error.type}: ${t.error.message}` : ''), when(t.finished_at, ago(t.finished_at)),
        h('div', { class: 'row-actions' },
          button('Retry', async () => { await act('Task queued again.', () => api(`/api/v1/dead-letters/${enc(t.id)}/retry`, { method: 'POST' })); load(); }, { 'aria-label': `Retry task ${t.id}`, 'data-retry': t.id }),
          button('Edit args', () => editArgs(t), { 'aria-label': `Edit args of task ${t.id}, then redrive` }),
          button('Delete', async () => {
            if (!await confirmDialog('Delete this dead task?', `Task ${t.id} will be removed.`, 'Delete')) return;
            await act('Dead task deleted.', () => api(`/api/v1/dead-letters/${enc(t.id)}`, { method: 'DELETE' })); load();
          }, { class: 'button danger', 'aria-label': `Delete task ${t.id}` })),
      ]), page.next_cursor ? 'No dead task matches in this stretch of the store: the search goes on with Next page.' : 'No dead task matches.'),
      page.next_cursor ? h('nav', { class: 'pager', 'aria-label': 'Pages' }, h('a', { class: 'button', href: href('dead', { ...filter, cursor: page.next_cursor }) }, 'Next page »')) : null);
    }

    const load = () => Promise.all([loadGroups().catch((e) => replace(groupsBox, errorBox(e))), loadList().catch((e) => replace(listBox, errorBox(e)))]);
    load();
    const refresh = coalesce(load, 1500);
    const off = events.on('task', (e) => { if (e.state === 'failed' || e.state === 'pending') refresh(); });
    const offPoll = events.on('poll', refresh);
    return () => { off(); offPoll(); refresh.cancel(); };
  },
};
