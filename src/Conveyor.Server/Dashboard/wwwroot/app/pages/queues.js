// Queues: counts, rates, oldest waiting age, consumers, pause / resume; limits with their usage (lib/limits.js).

import { h, replace, errorBox, section } from '../lib/dom.js';
import { loadQueues, queueTable, pauseButton } from '../lib/queues.js';
import { act } from '../lib/toast.js';
import { coalesce } from '../lib/schedule.js';
import * as events from '../lib/events.js';
import { loadLimits, limitsTable, limitForm, removeLimit } from '../lib/limits.js';

export default {
  title: 'Queues',
  render(main) {
    const box = h('div', { id: 'queues' }, h('p', { class: 'muted' }, 'Loading…'));
    main.append(h('h1', null, 'Queues'),
      h('p', { class: 'muted' }, 'A paused queue still accepts tasks; workers lease nothing from it until it is resumed.'), section('Every queue', box));
    // limits: at most N running / N started per interval, per queue or per key value; tasks over a limit wait, pending.
    const limitsBox = h('div', { id: 'limits' }, h('p', { class: 'muted' }, 'Loading…'));
    main.append(section('Limits', h('p', { class: 'muted' }, 'Enforced when tasks are leased, across every worker: a task over a limit waits, pending, until a slot frees or its window reopens.'),
      limitsBox, limitForm((label, fn) => act(label, fn).then(load))));
    const load = async () => {
      try {
        const queues = await loadQueues();
        replace(box, queueTable(queues, { actions: (q) => pauseButton(q, (label, fn) => act(label, fn).then(load)) }));
        const limits = await loadLimits(queues.map((q) => q.name));
        replace(limitsBox, limitsTable(limits, { remove: (queue, name) => act(`Limit ${name} of queue ${queue} removed.`, () => removeLimit(queue, name)).then(load) }));
      } catch (e) { replace(box, errorBox(e)); }
    };
    load();
    const refresh = coalesce(load, 1000);
    const offs = [events.on('stats', refresh), events.on('task', refresh), events.on('poll', refresh)];
    return () => { offs.forEach((f) => f()); refresh.cancel(); };
  },
};
