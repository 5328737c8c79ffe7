// Tasks: browse by state / queue / type with cursor paging, search (id, idempotency key, tag
// key=value, error text), every filter in the URL; select rows; bulk retry / cancel / delete on the
// selection or on every task matching the filter.

import { api } from '../lib/api.js';
import { h, replace, table, badge, button, errorBox, when } from '../lib/dom.js';
import { ago, shortId } from '../lib/format.js';
import { href, navigate } from '../lib/router.js';
import { bulkAction } from '../lib/bulk.js';
import { coalesce } from '../lib/schedule.js';
import * as events from '../lib/events.js';

const STATES = ['', 'pending', 'scheduled', 'running', 'succeeded', 'failed', 'cancelled', 'expired'];
const FILTERS = ['state', 'queue', 'type', 'idempotency_key', 'tag', 'error', 'error_type'];

export default {
  title: 'Tasks',
  render(main, { query }) {
    const filter = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) || '']).filter(([, v]) => v));
    const cursor = query.get('cursor') || '';
    const selected = new Set();
    let items = [];

    const field = (name, label, attrs = {}) => h('div', { class: 'field' },
      h('label', { for: `f-${name}` }, label),
      h('input', { id: `f-${name}`, name, value: filter[name] || '', ...attrs }));
    const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tasks', onsubmit: (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      if (data.id?.trim()) { navigate(`tasks/${encodeURIComponent(data.id.trim())}`); return; }
      delete data.id;
      navigate('tasks', data);
    } },
    h('div', { class: 'field' }, h('label', { for: 'f-state' }, 'State'),
      h('select', { id: 'f-state', name: 'state', onchange: () => form.requestSubmit() },
        STATES.map((s) => h('option', { value: s, selected: s === (filter.state || '') }, s === '' ? 'any' : s === 'failed' ? 'dead (failed)' : s)))),
    field('queue', 'Queue'), field('type', 'Type'),
    field('id', 'Task id', { placeholder: 'open by id' }),
    field('idempotency_key', 'Idempotency key'),
    field('tag', 'Tag', { placeholder: 'key=value' }),
    field('error', 'Error text'),
    h('div', { class: 'field buttons' },
      h('button', { type: 'submit', class: 'button primary' }, 'Search'),
      h('a', { href: '#/tasks', class: 'button' }, 'Clear')));

    const list = h('div', { id: 'task-list' }, h('p', { class: 'muted' }, 'Loading…'));
    const count = h('span', { id: 'selected-count' }, '0 selected');
    const act = (action, target) => async () => {
      const r = await bulkAction(action, target(), { describe: target().ids ? undefined : describeFilter(filter) });
      if (r !== null) { selected.clear(); load(); }
    };
    const onSelected = () => ({ ids: [...selected] });
    const onFilter = () => ({ filter });
    const bar = h('div', { class: 'bulk-bar', role: 'group', 'aria-label': 'Bulk actions' },
      h('span', { class: 'bulk-label' }, count, ':'),
      button('Retry selected', act('retry', onSelected)), button('Cancel selected', act('cancel', onSelected)), button('Delete selected', act('delete', onSelected), { class: 'button danger' }),
      h('span', { class: 'bulk-label' }, 'Every task matching the filter:'),
      button('Retry all', act('retry', onFilter)), button('Cancel all', act('cancel', onFilter)), button('Delete all', act('delete', onFilter), { class: 'button danger' }));

    main.append(h('h1', null, 'Tasks'), form, bar, list);

    const updateCount = () => { count.textContent = `${selected.size} selected`; };

    async function load() {
      try {
        // A search may answer a short page (even an empty one) and a cursor to go on from.
        const page = await api('/api/v1/tasks', { query: { ...filter, cursor, limit: 50 } });
        items = page.items;
        const all = h('input', { type: 'checkbox', 'aria-label': 'Select every task on this page', onchange: (e) => {
          for (const t of items) if (e.target.checked) selected.add(t.id); else selected.delete(t.id);
          for (const box of list.querySelectorAll('input[data-id]')) box.checked = e.target.checked;
          updateCount();
        } });
        const rows = items.map((t) => [
          h('input', { type: 'checkbox', 'data-id': t.id, 'aria-label': `Select task ${t.id}`, checked: selected.has(t.id), onchange: (e) => {
            if (e.target.checked) selected.add(t.id); else selected.delete(t.id);
            updateCount();
          } }),
          h('a', { href: `#/tasks/${encodeURIComponent(t.id)}`, class: 'mono' }, shortId(t.id)),
          t.type, t.queue, badge(t.state), `${t.attempt}/${t.max_attempts}`, when(t.created_at, ago(t.created_at)),
          h('span', { class: 'error-text' }, t.error ? `${t.error.type}: ${t.error.message}` : ''),
        ]);
        const nav = h('nav', { class: 'pager', 'aria-label': 'Pages' },
          cursor ? h('a', { href: href('tasks', filter), class: 'button' }, '« First page') : null,
          page.next_cursor ? h('a', { href: href('tasks', { ...filter, cursor: page.next_cursor }), class: 'button', id: 'next-page' }, 'Next page »') : null);
        const t = table('Tasks', [all, 'Id', 'Type', 'Queue', 'State', 'Attempt', 'Created', 'Error'], rows,
          page.next_cursor ? 'No task matches in this stretch of the store: the search goes on with Next page.' : Object.keys(filter).length ? 'No task matches these filters.' : 'No task yet: submit one from the Submit page.');
        replace(list, t, nav);
        updateCount();
      } catch (e) {
        replace(list, errorBox(e));
      }
    }
    load();
    const refresh = coalesce(load, 1500);
    const offTask = events.on('task', (e) => {
      if ((!filter.queue || e.queue === filter.queue) && (!filter.type || e.type === filter.type)) refresh();
    });
    const offPoll = events.on('poll', refresh);
    return () => { offTask(); offPoll(); refresh.cancel(); };
  },
};

export function describeFilter(f) {
  const parts = Object.entries(f).map(([k, v]) => `${k} = ${v}`);
  return parts.length ? `every task with ${parts.join(', ')}` : 'every task';
}

