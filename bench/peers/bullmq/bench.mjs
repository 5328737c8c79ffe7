// BullMQ with Conveyor's bench workloads (src/Conveyor.Cli/Bench/BenchRunner.cs), printed in the same
// one-line-per-workload format as `conveyor bench`, so bench/peers/run.sh can show both side by side.
// Not part of the test suite.
//
//   node bench.mjs redis://127.0.0.1:PORT [--tasks N] [--warmup N] [--workloads w1,w2,w3]
//
// W1 warm-up (like Conveyor's): --warmup jobs (default 2N, as many as W1 runs; half added one by one,
//     half with addBulk) run through the same phases in a queue of their own before anything is measured.
// W1: N jobs added one call each by 16 concurrent callers, N more with addBulk in batches of 500,
//     then all 2N processed by one Worker at concurrency 10 with a no-op processor; lost and
//     duplicated jobs are counted, never assumed away.
// W2: pickup latency (add -> processor start), 200 samples one at a time, Worker concurrency 1.
// W3: 2000 jobs sleeping 10 ms, Worker concurrency 50.
// Redis cost: the same figures as Conveyor's line. Calls are counted client-side: every command any
// ioredis connection of this process sends (Redis.prototype.sendCommand, which pipelines go
// through too; a script call counts once), including the Worker's blocking fetches; the probe
// connection that reads INFO is not counted. CPU is used_cpu_user + used_cpu_sys over all of W1.
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";

const args = process.argv.slice(2);
const url = args.find((a) => a.startsWith("redis://"));
if (!url) {
  console.error("usage: node bench.mjs redis://127.0.0.1:PORT [--tasks N] [--workloads w1,w2,w3]");
  process.exit(2);
}
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const N = Number(opt("--tasks", "10000"));
const WARMUP = Number(opt("--warmup", String(2 * N)));
const wanted = new Set(opt("--workloads", "w1,w2,w3").split(","));
const CALLERS = 16, BATCH = 500, W1_CONCURRENCY = 10, W2_SAMPLES = 200, W3_TASKS = 2000, W3_SLEEP = 10, W3_CONCURRENCY = 50, MEMORY_TASKS = 10000;
const TARGET = "bullmq";
const run = randomUUID().slice(0, 8);

let calls = 0;
const send = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (command, stream, node) {
  if (!this.isProbe) calls++;
  return send.call(this, command, stream, node);
};

const connection = () => new Redis(url, { maxRetriesPerRequest: null });
const probe = new Redis(url);
probe.isProbe = true;

const info = async (section, field) => {
  const text = await probe.info(section);
  const line = text.split("\r\n").find((l) => l.startsWith(field + ":"));
  return Number(line.split(":")[1]);
};
const sample = async () => ({ calls, cpu: (await info("cpu", "used_cpu_user")) + (await info("cpu", "used_cpu_sys")) });
const now = () => performance.now();
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const f = (x, d) => x.toFixed(d);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One producer connection shared by every caller (as Conveyor's bench shares one multiplexer).
const producer = connection();

async function warmUp() {
  if (WARMUP <= 0) return;
  const queue = new Queue(`bench-warm-${run}`, { connection: producer });
  const single = Math.floor(WARMUP / 2);
  let next = -1;
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (++next < single) await queue.add("noop", {});
  }));
  for (let i = single; i < WARMUP; i += BATCH) {
    const size = Math.min(BATCH, WARMUP - i);
    await queue.addBulk(Array.from({ length: size }, () => ({ name: "noop", data: {} })));
  }
  let ran = 0;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  const worker = new Worker(queue.name, async () => {
    if (++ran === WARMUP) resolveDone();
    return null;
  }, { connection: connection(), concurrency: W1_CONCURRENCY });
  await Promise.race([done, sleep(5 * 60_000)]);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  if (ran < WARMUP) throw new Error(`W1 warm-up: only ${ran} of ${WARMUP} jobs ran`);
}

async function w1() {
  await warmUp();
  const queue = new Queue(`bench-w1-${run}`, { connection: producer });
  const s0 = await sample();
  let next = -1;
  const lat = [];
  let t = now();
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (++next < N) {
      const t0 = now();
      await queue.add("noop", {});
      lat.push(now() - t0);
    }
  }));
  const singleRate = N / ((now() - t) / 1000);
  const s1 = await sample();
  t = now();
  for (let i = 0; i < N; i += BATCH) {
    const size = Math.min(BATCH, N - i);
    await queue.addBulk(Array.from({ length: size }, () => ({ name: "noop", data: {} })));
  }
  const batchRate = N / ((now() - t) / 1000);
  const s2 = await sample();

  const total = 2 * N;
  const seen = new Map();
  let distinct = 0;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  t = now();
  const worker = new Worker(queue.name, async (job) => {
    const c = (seen.get(job.id) ?? 0) + 1;
    seen.set(job.id, c);
    if (c === 1 && ++distinct === total) resolveDone();
    return null;
  }, { connection: connection(), concurrency: W1_CONCURRENCY });
  await Promise.race([done, sleep(5 * 60_000)]);
  const elapsed = (now() - t) / 1000;
  await worker.close(); // waits for the last completions, so they are counted like Conveyor's
  const s3 = await sample();
  await queue.close();
  let duplicates = 0;
  for (const c of seen.values()) duplicates += c - 1;
  lat.sort((a, b) => a - b);
  console.log(`W1 throughput  target=${TARGET} tasks=${total} enqueue_single=${f(singleRate, 0)}/s (callers=${CALLERS} p50=${f(pct(lat, 50), 2)}ms p99=${f(pct(lat, 99), 2)}ms) enqueue_batch=${f(batchRate, 0)}/s (batch=${BATCH}) processed=${f(distinct / elapsed, 0)}/s (concurrency=${W1_CONCURRENCY}) lost=${total - distinct} duplicates=${duplicates}`);
  return { s: [s0, s1, s2, s3], total, lost: total - distinct };
}

async function w2() {
  const queue = new Queue(`bench-w2-${run}`, { connection: producer });
  let started = null;
  const worker = new Worker(queue.name, async () => {
    started?.(now());
    return null;
  }, { connection: connection(), concurrency: 1 });
  await worker.waitUntilReady();
  const samples = [];
  for (let i = -5; i < W2_SAMPLES; i++) {
    const at = new Promise((r) => (started = r));
    const before = now();
    await queue.add("noop", {});
    const t = await at;
    if (i >= 0) samples.push(t - before);
    await sleep(2); // let the completion land before the next sample, as Conveyor's bench does
  }
  await worker.close();
  await queue.close();
  samples.sort((a, b) => a - b);
  console.log(`W2 pickup      target=${TARGET} samples=${samples.length} p50=${f(pct(samples, 50), 3)}ms p99=${f(pct(samples, 99), 3)}ms max=${f(samples[samples.length - 1], 3)}ms`);
}

async function w3() {
  const queue = new Queue(`bench-w3-${run}`, { connection: producer });
  for (let i = 0; i < W3_TASKS; i += 1000) {
    const size = Math.min(1000, W3_TASKS - i);
    await queue.addBulk(Array.from({ length: size }, () => ({ name: "sleep", data: { ms: W3_SLEEP } })));
  }
  const seen = new Set();
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  const t = now();
  const worker = new Worker(queue.name, async (job) => {
    await sleep(W3_SLEEP);
    seen.add(job.id);
    if (seen.size === W3_TASKS) resolveDone();
    return null;
  }, { connection: connection(), concurrency: W3_CONCURRENCY });
  await Promise.race([done, sleep(5 * 60_000)]);
  const elapsed = (now() - t) / 1000;
  await worker.close();
  await queue.close();
  console.log(`W3 io-bound    target=${TARGET} tasks=${W3_TASKS} sleep=${W3_SLEEP}ms concurrency=${W3_CONCURRENCY} processed=${f(seen.size / elapsed, 0)}/s lost=${W3_TASKS - seen.size}`);
  return W3_TASKS - seen.size;
}

async function bytesPerPendingJob() {
  const queue = new Queue(`bench-mem-${run}`, { connection: producer });
  const before = await info("memory", "used_memory");
  for (let i = 0; i < MEMORY_TASKS; i += BATCH) {
    await queue.addBulk(Array.from({ length: Math.min(BATCH, MEMORY_TASKS - i) }, () => ({ name: "noop", data: {} })));
  }
  const after = await info("memory", "used_memory");
  await queue.obliterate({ force: true });
  await queue.close();
  return (after - before) / MEMORY_TASKS;
}

let failed = false;
if (wanted.has("w1")) {
  const r = await w1();
  failed ||= r.lost > 0;
  const bytes = await bytesPerPendingJob();
  const [s0, s1, s2, s3] = r.s;
  const single = (s1.calls - s0.calls) / N, batch = (s2.calls - s1.calls) / N, proc = (s3.calls - s2.calls) / r.total;
  globalThis.cost = `Redis cost     target=${TARGET} calls_per_task=${f((s3.calls - s0.calls) / r.total, 3)} (enqueue_single=${f(single, 3)} enqueue_batch=${f(batch, 3)} process=${f(proc, 3)}) batch_path_calls_per_task=${f(batch + proc, 3)} cpu_us_per_task=${f(((s3.cpu - s0.cpu) * 1e6) / r.total, 1)} (enqueue_single=${f(((s1.cpu - s0.cpu) * 1e6) / N, 1)} enqueue_batch=${f(((s2.cpu - s1.cpu) * 1e6) / N, 1)} process=${f(((s3.cpu - s2.cpu) * 1e6) / r.total, 1)}) bytes_per_pending_task=${f(bytes, 0)}`;
}
if (wanted.has("w2")) await w2();
if (wanted.has("w3")) failed ||= (await w3()) > 0;
if (globalThis.cost) console.log(globalThis.cost);
await producer.quit();
await probe.quit();
process.exit(failed ? 1 : 0);
