// The bulk actions log (GET /api/v1/bulk-actions): who did what to how many tasks, newest first.

import { api } from '../lib/api.js';
import { h, replace, section, table, errorBox, when } from '../lib/dom.js';
import { ago, num } from '../lib/format.js';

const target = (a) => a.filter
  ? Object.entries(a.filter).filter(([, v]) => v != null && v !== '').map(([k, v]) => `${k} = ${v}`).join(', ') || 'every task'
  : `${num(a.ids_count)} selected task${a.ids_count === 1 ? '' : 's'}`;

export default {
  title: 'Bulk actions',
  render(main) {
    const box = h('div', { id: 'bulk-log' }, h('p', { class: 'muted' }, 'Loading…'));
    main.append(h('h1', null, 'Bulk actions log'),
      h('p', { class: 'muted' }, 'Every retry, cancel or delete applied to many tasks at once, from the Tasks or Dead letters page: who, when, on what, and how many tasks it changed.'),
      section('Newest first', box));
    api('/api/v1/bulk-actions', { query: { limit: 50 } }).then((data) => {
      replace(box, table('Bulk actions', ['When', 'Who', 'Action', 'On', 'Matched', 'Changed'], data.items.map((a) => [
        when(a.at, ago(a.at)), a.actor, a.action, h('span', { class: 'wrap' }, target(a)), num(a.matched), num(a.changed),
      ]), 'No bulk action yet. Select tasks on the Tasks page, or filter them, and use the bulk buttons: each action is recorded here.'));
    }).catch((e) => replace(box, errorBox(e)));
  },
};
