// Schedules: recurring tasks with their timing, task, misfire policy, next and last runs; pause,
// resume, run now and delete each; create or replace one from a small form (PUT /api/v1/schedules/{name}).

import { api, enc } from '../lib/api.js';
import { h, replace, section, table, button, errorBox, when } from '../lib/dom.js';
import { ago, time, shortId } from '../lib/format.js';
import { act, confirmDialog } from '../lib/toast.js';
import { coalesce } from '../lib/schedule.js';
import * as events from '../lib/events.js';

const timing = (s) => (s.cron ? `cron ${s.cron}${s.time_zone && s.time_zone !== 'UTC' ? ` (${s.time_zone})` : ''}` : `every ${s.interval} s`);
const misfire = (s) => (s.misfire === 'catch_up' ? `catch up (${s.catch_up} s)` : s.misfire);

export default {
  title: 'Schedules',
  render(main) {
    const box = h('div', { id: 'schedules' }, h('p', { class: 'muted' }, 'Loading…'));
    const input = (id, label, attrs) => h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, ...attrs }));
    const status = h('p', { id: 'sch-form-status', class: 'muted', 'aria-live': 'polite' });
    const form = h('form', { class: 'submit-form', id: 'schedule-form', 'aria-label': 'Create or replace a schedule', onsubmit: (e) => { e.preventDefault(); save(); } },
      h('div', { class: 'field-row' },
        input('sch-name', 'Name', { name: 'name', required: true, autocomplete: 'off' }),
        input('sch-cron', 'Cron (5 fields, or 6 with seconds)', { name: 'cron', placeholder: '0 3 * * *', autocomplete: 'off' }),
        input('sch-interval', 'or interval (seconds)', { name: 'interval', type: 'number', min: '1' }),
        input('sch-zone', 'Time zone (IANA)', { name: 'time_zone', placeholder: 'UTC' })),
      h('div', { class: 'field-row' },
        input('sch-type', 'Task type', { name: 'type', required: true, value: 'noop' }),
        input('sch-queue', 'Queue', { name: 'queue', value: 'default' }),
        input('sch-args', 'Arguments (JSON)', { name: 'args', class: 'code', placeholder: '{"n": 10}' }),
        h('div', { class: 'field' }, h('label', { for: 'sch-misfire' }, 'Missed ticks'),
          h('select', { id: 'sch-misfire', name: 'misfire' },
            h('option', { value: 'catch_up' }, 'catch up'), h('option', { value: 'once' }, 'run once'), h('option', { value: 'skip' }, 'skip')))),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary', id: 'sch-save' }, 'Save schedule')), status);

    main.append(h('h1', null, 'Schedules'),
      h('p', { class: 'muted' }, 'Each tick is submitted once, by whichever broker claims it first. Paused schedules submit nothing; resuming starts at the next tick.'),
      section('Every schedule', box), section('Create or replace', form));

    const value = (id) => document.getElementById(id).value.trim();
    async function save() {
      const body = { task: { type: value('sch-type'), queue: value('sch-queue') || undefined }, misfire: value('sch-misfire') };
      if (value('sch-cron')) body.cron = value('sch-cron');
      if (value('sch-interval')) body.interval = Number(value('sch-interval'));
      if (value('sch-zone')) body.time_zone = value('sch-zone');
      if (value('sch-args')) {
        try { body.task.args = JSON.parse(value('sch-args')); } catch (e) { status.textContent = `Arguments: ${e.message}`; status.className = 'notice error'; return; }
      }
      try {
        const s = await api(`/api/v1/schedules/${enc(value('sch-name'))}`, { method: 'PUT', body });
        status.textContent = `Saved ${s.name}; next run ${s.next_run_at ? time(s.next_run_at) : '—'}.`; status.className = 'muted';
        load();
      } catch (e) { status.textContent = e.message; status.className = 'notice error'; }
    }

    const action = (s, verb, label) => async () => {
      if (verb === 'delete') {
        if (!await confirmDialog(`Delete schedule ${s.name}?`, 'The tasks it submitted stay.', 'Delete')) return;
        await act(`Schedule ${s.name} deleted.`, () => api(`/api/v1/schedules/${enc(s.name)}`, { method: 'DELETE' }));
      } else {
        await act(label, () => api(`/api/v1/schedules/${enc(s.name)}/${verb}`, { method: 'POST' }));
      }
      load();
    };

    const row = (s) => [
      h('span', { class: 'mono' }, s.name), timing(s), `${s.task.type} on ${s.task.queue || 'default'}`, misfire(s),
      h('span', { class: `badge ${s.paused ? 'state-cancelled' : 'state-running'}` }, s.paused ? 'paused' : 'active'),
      s.next_run_at ? when(s.next_run_at, time(s.next_run_at)) : '—',
      s.last_run_at ? h('span', null, when(s.last_run_at, ago(s.last_run_at)),
        s.last_task_id ? [' · ', h('a', { href: `#/tasks/${enc(s.last_task_id)}`, class: 'mono' }, shortId(s.last_task_id))] : null) : '—',
      h('div', { class: 'row-actions' },
        s.paused
          ? button('Resume', action(s, 'resume', `Schedule ${s.name} resumed.`), { 'aria-label': `Resume schedule ${s.name}` })
          : button('Pause', action(s, 'pause', `Schedule ${s.name} paused.`), { 'aria-label': `Pause schedule ${s.name}` }),
        button('Run now', action(s, 'run', `Schedule ${s.name}: task submitted.`), { 'aria-label': `Run now: schedule ${s.name}` }),
        button('Delete', action(s, 'delete'), { class: 'button danger', 'aria-label': `Delete schedule ${s.name}` })),
    ];

    async function load() {
      try {
        const data = await api('/api/v1/schedules');
        replace(box, table('Schedules', ['Name', 'When', 'Task', 'Missed ticks', 'State', 'Next run', 'Last run', 'Actions'],
          data.schedules.map(row), 'No schedule yet: create one below, with `conveyor schedules set`, or in the configuration (Schedules:<name>:Cron).'));
      } catch (e) { replace(box, errorBox(e)); }
    }
    load();
    const refresh = coalesce(load, 1000);
    const offs = [events.on('stats', refresh), events.on('poll', refresh)];
    return () => { offs.forEach((f) => f()); refresh.cancel(); };
  },
};
