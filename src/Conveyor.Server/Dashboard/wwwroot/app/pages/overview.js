// Overview: live throughput (per second, from task events), stored per-minute history, totals by
// state, the queue table, live workers and recent failures.

import { api } from '../lib/api.js';
import { h, replace, section, table, errorBox, when } from '../lib/dom.js';
import { num, ago, shortId } from '../lib/format.js';
import { href } from '../lib/router.js';
import { throughputChart } from '../lib/chart.js';
import { loadQueues, queueTable } from '../lib/queues.js';
import { coalesce } from '../lib/schedule.js';
import * as events from '../lib/events.js';

const WINDOW = 120; // seconds shown live

export default {
  title: 'Overview',
  render(main) {
    const totals = h('div', { class: 'totals', id: 'totals' });
    const liveBox = h('div', { class: 'chart', id: 'live-chart' });
    const liveSums = h('p', { class: 'muted chart-note', id: 'live-sums' });
    const historyBox = h('div', { class: 'chart', id: 'history-chart' });
    const historyNote = h('div');
    const queuesBox = h('div', { id: 'queue-table' });
    const failuresBox = h('div', { id: 'recent-failures' });

    main.append(
      h('h1', null, 'Overview'),
      totals,
      h('div', { class: 'grid-2' },
        section('Throughput, live (per second)', liveBox, liveSums),
        section('Throughput, last hour (per minute)', historyBox, historyNote)),
      section('Queues', queuesBox),
      section('Recent failures', failuresBox));

    // Live: one bucket per second, counted from task events (succeeded; failed = moved to dead letters).
    const live = throughputChart(liveBox, { label: 'Tasks succeeded and failed per second, last two minutes' });
    const buckets = new Map();
    let seen = { succeeded: 0, failed: 0 };
    const offTask = events.on('task', (e) => {
      if (e.state !== 'succeeded' && e.state !== 'failed') return;
      const s = Math.floor(Date.now() / 1000);
      const b = buckets.get(s) || { succeeded: 0, failed: 0 };
      b[e.state]++;
      seen[e.state]++;
      buckets.set(s, b);
      if (e.state === 'failed') refreshFailures();
      refreshHistory();
    });
    // The stored history follows outcomes too: one read of its 60 buckets every 2 s at most, while tasks finish.
    const refreshHistory = coalesce(() => loadHistory(), 2000);
    const drawLive = () => {
      const now = Math.floor(Date.now() / 1000);
      const xs = [], ok = [], bad = [];
      for (let s = now - WINDOW; s <= now; s++) {
        const b = buckets.get(s);
        xs.push(s); ok.push(b ? b.succeeded : 0); bad.push(b ? b.failed : 0);
      }
      for (const k of buckets.keys()) if (k < now - WINDOW) buckets.delete(k);
      live.set(xs, ok, bad);
      liveSums.textContent = `Since this page opened: ${num(seen.succeeded)} succeeded, ${num(seen.failed)} failed (dead).`;
    };
    drawLive();
    const tick = setInterval(drawLive, 1000);

    let history = null;
    const loadHistory = async () => {
      const data = await api('/api/v1/history', { query: { minutes: 60 } });
      if (!history) history = throughputChart(historyBox, { label: 'Tasks succeeded and failed per minute, last hour', bars: true });
      const b = data.buckets;
      history.set(b.map((x) => Date.parse(x.at) / 1000), b.map((x) => x.succeeded), b.map((x) => x.failed));
      const sum = (k) => b.reduce((n, x) => n + (x[k] || 0), 0);
      replace(historyNote, h('p', { class: 'muted chart-note', id: 'history-sums' }, `Last hour: ${num(sum('succeeded'))} succeeded, ${num(sum('failed'))} failed attempts.`));
    };

    const renderTotals = (queues) => {
      const sum = (k) => queues.reduce((n, q) => n + (q[k] || 0), 0);
      const states = [['pending', 'Pending'], ['scheduled', 'Scheduled'], ['running', 'Running'], ['succeeded', 'Succeeded'], ['failed', 'Dead'], ['cancelled', 'Cancelled']];
      replace(totals, states.map(([k, label]) =>
        h('a', { class: `total state-${k}`, href: k === 'failed' ? '#/dead' : href('tasks', { state: k }), 'data-total': k },
          h('span', { class: 'total-number' }, num(sum(k))), h('span', { class: 'total-label' }, label))),
        h('a', { class: 'total workers', href: '#/workers' }, h('span', { class: 'total-number', id: 'worker-count' }, workerCount), h('span', { class: 'total-label' }, 'Live workers')));
    };
    let workerCount = '…';
    const setWorkers = (n) => { workerCount = n; const el = document.getElementById('worker-count'); if (el) el.textContent = n; };

    const refreshQueues = coalesce(async () => {
      try {
        const queues = await loadQueues();
        renderTotals(queues);
        replace(queuesBox, queueTable(queues));
      } catch (e) { replace(queuesBox, errorBox(e)); }
    }, 300);

    const refreshFailures = coalesce(async () => {
      try {
        const page = await api('/api/v1/tasks', { query: { state: 'failed', limit: 8 } });
        replace(failuresBox, table('Recent failures', ['Task', 'Type', 'Queue', 'Error', 'When'], page.items.map((t) => [
          h('a', { href: `#/tasks/${encodeURIComponent(t.id)}`, class: 'mono' }, shortId(t.id)), t.type, t.queue,
          h('span', { class: 'error-text' }, t.error ? `${t.error.type}: ${t.error.message}` : ''), when(t.finished_at, ago(t.finished_at)),
        ]), 'No dead tasks.'));
      } catch (e) { replace(failuresBox, errorBox(e)); }
    }, 2000);

    const refreshWorkers = async () => {
      const w = await api('/api/v1/workers');
      setWorkers(num(w.workers.length));
    };

    const offStats = events.on('stats', (s) => {
      setWorkers(num(s.workers));
      refreshQueues();
    });
    const offPoll = events.on('poll', () => { refreshQueues(); refreshFailures(); refreshWorkers(); loadHistory(); });
    const historyTimer = setInterval(() => loadHistory().catch(() => {}), 60000);

    refreshQueues(); refreshFailures();
    refreshWorkers().catch(() => {});
    loadHistory().catch((e) => replace(historyNote, errorBox(e)));
    // The queue table follows task events too (coalesced to one reload a second at most).
    const refreshSoon = coalesce(() => refreshQueues(), 1000);
    const offTask2 = events.on('task', refreshSoon);

    return () => {
      offTask(); offTask2(); offStats(); offPoll();
      clearInterval(tick); clearInterval(historyTimer);
      refreshQueues.cancel(); refreshFailures.cancel(); refreshSoon.cancel(); refreshHistory.cancel();
      live.destroy(); history?.destroy();
    };
  },
};

