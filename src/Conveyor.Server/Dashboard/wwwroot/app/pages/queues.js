// Queues: counts, rates, oldest waiting age, consumers, pause / resume.

import { h, replace, errorBox, section } from '../lib/dom.js';
import { loadQueues, queueTable, pauseButton } from '../lib/queues.js';
import { act } from '../lib/toast.js';
import { coalesce } from '../lib/schedule.js';
import * as events from '../lib/events.js';

export default {
  title: 'Queues',
  render(main) {
    const box = h('div', { id: 'queues' }, h('p', { class: 'muted' }, 'Loading…'));
    main.append(h('h1', null, 'Queues'),
      h('p', { class: 'muted' }, 'A paused queue still accepts tasks; workers lease nothing from it until it is resumed.'), section('Every queue', box));
    const load = async () => {
      try {
        const queues = await loadQueues();
        replace(box, queueTable(queues, { actions: (q) => pauseButton(q, (label, fn) => act(label, fn).then(load)) }));
      } catch (e) { replace(box, errorBox(e)); }
    };
    load();
    const refresh = coalesce(load, 1000);
    const offs = [events.on('stats', refresh), events.on('task', refresh), events.on('poll', refresh)];
    return () => { offs.forEach((f) => f()); refresh.cancel(); };
  },
};
