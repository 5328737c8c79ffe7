// bee-queue with Conveyor's bench workloads (src/Conveyor.Cli/Bench/BenchRunner.cs), printed in the
// same one-line-per-workload format as `conveyor bench` and bench/peers/bullmq, so bench/peers/run.sh
// can show all of them side by side. Not part of the test suite.
//
//   node bench.mjs redis://127.0.0.1:PORT [--tasks N] [--warmup N] [--workloads w1,w2,w3]
//
// The workloads are BullMQ's bench's, one for one (see ../bullmq/bench.mjs): the warm-up, W1 (16
// callers each saving one job per call, then saveAll in batches of 500, then one worker queue at
// concurrency 10 with a no-op handler; lost and duplicated jobs counted), W2 (200 samples, save ->
// handler start, concurrency 1), W3 (2000 jobs sleeping 10 ms, concurrency 50), memory per pending
// job (10,000 jobs saved with saveAll).
// bee-queue's own settings: producers are created as its README advises for a producer
// (isWorker: false, getEvents: false, storeJobs: false, so a producer neither subscribes nor keeps
// every job object); the worker keeps bee-queue's defaults (sendEvents on, finished jobs kept, as
// Conveyor and BullMQ keep theirs). Every producer queue shares one node_redis client, as Conveyor's
// bench shares one multiplexer.
// Redis calls are counted client-side: every command a node_redis client of this process sends
// (RedisClient.prototype.internal_send_command, which batches go through command by command; a
// script call counts once), including the worker's blocking BRPOPLPUSH; the ioredis probe that reads
// INFO is not counted. CPU is used_cpu_user + used_cpu_sys over all of W1.
import Queue from "bee-queue";
import redis from "redis";
import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";

const args = process.argv.slice(2);
const url = args.find((a) => a.startsWith("redis://"));
if (!url) {
  console.error("usage: node bench.mjs redis://127.0.0.1:PORT [--tasks N] [--warmup N] [--workloads w1,w2,w3]");
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
const TARGET = "bee-queue";
const run = randomUUID().slice(0, 8);
const PHASE_TIMEOUT = 5 * 60_000;

let calls = 0;
const send = redis.RedisClient.prototype.internal_send_command;
redis.RedisClient.prototype.internal_send_command = function (command) {
  calls++;
  return send.call(this, command);
};

const probe = new Redis(url);
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
const bounded = (done, what) => Promise.race([done, sleep(PHASE_TIMEOUT).then(() => console.error(`${what}: timed out`))]);

// One producer client shared by every producer queue (bee-queue reuses a client it is given).
const producerClient = redis.createClient({ url });
await new Promise((resolve, reject) => { producerClient.once("ready", resolve); producerClient.once("error", reject); });
const producer = (name) => new Queue(name, { redis: producerClient, isWorker: false, getEvents: false, storeJobs: false });
const worker = (name) => new Queue(name, { redis: { url } });
const jobs = (queue, n, data = {}) => Array.from({ length: n }, () => queue.createJob(data));

async function addSingle(queue, n, lat) {
  let next = -1;
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (++next < n) {
      const t0 = now();
      await queue.createJob({}).save();
      lat?.push(now() - t0);
    }
  }));
}

async function addBatches(queue, n, size = BATCH, data = {}) {
  for (let i = 0; i < n; i += size) {
    const errors = await queue.saveAll(jobs(queue, Math.min(size, n - i), data));
    if (errors.size > 0) throw new Error(`saveAll: ${errors.size} jobs failed: ${[...errors.values()][0]}`);
  }
}

/** Runs a worker queue until `expect` distinct jobs ran; returns seconds elapsed and the counts. */
async function processAll(name, concurrency, expect, body) {
  const seen = new Map();
  let distinct = 0;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  const q = worker(name);
  await q.ready();
  const t = now();
  q.process(concurrency, async (job) => {
    await body?.(job);
    const c = (seen.get(job.id) ?? 0) + 1;
    seen.set(job.id, c);
    if (c === 1 && ++distinct === expect) resolveDone();
    return null;
  });
  await bounded(done, name);
  const elapsed = (now() - t) / 1000;
  await q.close(30_000); // waits for the jobs in hand, so their completions are counted too
  let duplicates = 0;
  for (const c of seen.values()) duplicates += c - 1;
  return { elapsed, distinct, duplicates, queue: q };
}

async function destroy(name) {
  const q = producer(name);
  await q.ready();
  await q.destroy();
  await q.close();
}

async function warmUp() {
  if (WARMUP <= 0) return;
  const name = `bench-warm-${run}`;
  const queue = producer(name);
  await queue.ready();
  const single = Math.floor(WARMUP / 2);
  await addSingle(queue, single);
  await addBatches(queue, WARMUP - single);
  const r = await processAll(name, W1_CONCURRENCY, WARMUP);
  await queue.destroy();
  await queue.close();
  if (r.distinct < WARMUP) throw new Error(`W1 warm-up: only ${r.distinct} of ${WARMUP} jobs ran`);
}

async function w1() {
  await warmUp();
  const name = `bench-w1-${run}`;
  const queue = producer(name);
  await queue.ready();
  const lat = [];
  const s0 = await sample();
  let t = now();
  await addSingle(queue, N, lat);
  const singleRate = N / ((now() - t) / 1000);
  const s1 = await sample();
  t = now();
  await addBatches(queue, N);
  const batchRate = N / ((now() - t) / 1000);
  const s2 = await sample();
  const total = 2 * N;
  const r = await processAll(name, W1_CONCURRENCY, total);
  const s3 = await sample();
  await queue.close();
  lat.sort((a, b) => a - b);
  console.log(`W1 throughput  target=${TARGET} tasks=${total} enqueue_single=${f(singleRate, 0)}/s (callers=${CALLERS} p50=${f(pct(lat, 50), 2)}ms p99=${f(pct(lat, 99), 2)}ms) enqueue_batch=${f(batchRate, 0)}/s (batch=${BATCH}) processed=${f(r.distinct / r.elapsed, 0)}/s (concurrency=${W1_CONCURRENCY}) lost=${total - r.distinct} duplicates=${r.duplicates}`);
  return { s: [s0, s1, s2, s3], total, lost: total - r.distinct, name };
}

async function w2() {
  const name = `bench-w2-${run}`;
  const queue = producer(name);
  await queue.ready();
  let started = null;
  const q = worker(name);
  await q.ready();
  q.process(1, async () => {
    started?.(now());
    return null;
  });
  await sleep(100); // the worker's blocking BRPOPLPUSH is in place
  const samples = [];
  for (let i = -5; i < W2_SAMPLES; i++) {
    const at = new Promise((r) => (started = r));
    const before = now();
    await queue.createJob({}).save();
    const t = await bounded(at, "W2");
    if (t === undefined) break;
    if (i >= 0) samples.push(t - before);
    await sleep(2); // let the completion land before the next sample, as Conveyor's bench does
  }
  await q.close(30_000);
  await queue.destroy();
  await queue.close();
  samples.sort((a, b) => a - b);
  console.log(`W2 pickup      target=${TARGET} samples=${samples.length} p50=${f(pct(samples, 50), 3)}ms p99=${f(pct(samples, 99), 3)}ms max=${f(samples[samples.length - 1], 3)}ms`);
}

async function w3() {
  const name = `bench-w3-${run}`;
  const queue = producer(name);
  await queue.ready();
  await addBatches(queue, W3_TASKS, 1000, { ms: W3_SLEEP });
  const r = await processAll(name, W3_CONCURRENCY, W3_TASKS, () => sleep(W3_SLEEP));
  await queue.destroy();
  await queue.close();
  console.log(`W3 io-bound    target=${TARGET} tasks=${W3_TASKS} sleep=${W3_SLEEP}ms concurrency=${W3_CONCURRENCY} processed=${f(r.distinct / r.elapsed, 0)}/s lost=${W3_TASKS - r.distinct}`);
  return W3_TASKS - r.distinct;
}

async function bytesPerPendingJob() {
  const name = `bench-mem-${run}`;
  const queue = producer(name);
  await queue.ready();
  const before = await info("memory", "used_memory");
  await addBatches(queue, MEMORY_TASKS);
  const after = await info("memory", "used_memory");
  await queue.destroy();
  await queue.close();
  return (after - before) / MEMORY_TASKS;
}

let failed = false;
let cost = null;
if (wanted.has("w1")) {
  const r = await w1();
  failed ||= r.lost > 0;
  const bytes = await bytesPerPendingJob();
  await destroy(r.name);
  const [s0, s1, s2, s3] = r.s;
  const single = (s1.calls - s0.calls) / N, batch = (s2.calls - s1.calls) / N, proc = (s3.calls - s2.calls) / r.total;
  cost = `Redis cost     target=${TARGET} calls_per_task=${f((s3.calls - s0.calls) / r.total, 3)} (enqueue_single=${f(single, 3)} enqueue_batch=${f(batch, 3)} process=${f(proc, 3)}) batch_path_calls_per_task=${f(batch + proc, 3)} cpu_us_per_task=${f(((s3.cpu - s0.cpu) * 1e6) / r.total, 1)} (enqueue_single=${f(((s1.cpu - s0.cpu) * 1e6) / N, 1)} enqueue_batch=${f(((s2.cpu - s1.cpu) * 1e6) / N, 1)} process=${f(((s3.cpu - s2.cpu) * 1e6) / r.total, 1)}) bytes_per_pending_task=${f(bytes, 0)}`;
}
if (wanted.has("w2")) await w2();
if (wanted.has("w3")) failed ||= (await w3()) > 0;
if (cost) console.log(cost);
producerClient.quit();
await probe.quit();
process.exit(failed ? 1 : 0);
