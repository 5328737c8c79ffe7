// The bulk actions log: who did what to how many tasks, newest first.

import { optional } from '../lib/api.js';
import { h, replace, section, table, unavailable, errorBox } from '../lib/dom.js';
import { time, num } from '../lib/format.js';

export default {
  title: 'Bulk actions',
  render(main) {
    const box = h('div', { id: 'bulk-log' }, h('p', { class: 'muted' }, 'Loading…'));
    main.append(h('h1', null, 'Bulk actions log'), h('p', { class: 'muted' }, 'Every retry, cancel or delete applied to many tasks at once.'), section('Newest first', box));
    optional('/api/v1/bulk-actions', { query: { limit: 50 } }).then((data) => {
      if (data === null) { replace(box, unavailable('The bulk actions log', 'GET /api/v1/bulk-actions')); return; }
      replace(box, table('Bulk actions', ['When', 'Who', 'Action', 'Target', 'Matched', 'Changed'], data.items.map((a) => [
        time(a.at), a.actor, a.action,
        a.filter ? Object.entries(a.filter).filter(([, v]) => v != null && v !== '').map(([k, v]) => `${k}=${v}`).join(', ') || 'every task' : `${num(a.ids_count)} selected ids`,
        num(a.matched), num(a.changed),
      ]), 'No bulk action yet.'));
    }).catch((e) => replace(box, errorBox(e)));
  },
};
