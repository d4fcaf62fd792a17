// The BullMQ arm of the reminder dispatch benchmark: N delayed jobs, all due by the time
// the workers start, a no-op processor, completed jobs removed (as our ack removes an
// id). Prints one JSON object like notification_queue_bench does.
//   node bench.mjs --port=6379 [--count=100000] [--concurrency=100] [--workers=1]
// Run through ../notification_queue.sh --bullmq, which starts a private redis-server.
// --workers is the number of BullMQ Worker objects (each with its own connection) in this
// one Node.js process; other flags of the C++ bench are ignored.
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';

const args = Object.fromEntries(
  process.argv.slice(2).filter((a) => a.startsWith('--')).map((a) => {
    const [k, v] = a.slice(2).split('=');
    return [k, v ?? 'true'];
  }));
const port = Number(args.port ?? 6379);
const count = Number(args.count ?? 100000);
const concurrency = Number(args.concurrency ?? 100);
const workers = Number(args.workers ?? 1);
// Each Queue/Worker gets its own ioredis client (BullMQ 6 in native ESM takes client
// instances; a blocking worker connection needs maxRetriesPerRequest: null).
const clients = [];
const connect = () => {
  const client = new IORedis({ host: '127.0.0.1', port, maxRetriesPerRequest: null });
  clients.push(client);
  return client;
};
const name = 'bench-reminders';

const queue = new Queue(name, { connection: connect() });
await queue.obliterate({ force: true });

// Enqueue: delayed jobs, due 1 ms after they are added (so all are due once added).
const enqueueStart = performance.now();
const chunk = 1000;
for (let i = 0; i < count; i += chunk) {
  const jobs = [];
  for (let j = i; j < Math.min(count, i + chunk); ++j) {
    jobs.push({ name: 'reminder', data: { id: `bench-reminder-${j}` },
                opts: { delay: 1, removeOnComplete: true, removeOnFail: true } });
  }
  await queue.addBulk(jobs);
}
const enqueueSeconds = (performance.now() - enqueueStart) / 1000;
await new Promise((resolve) => setTimeout(resolve, 10));  // every delay has passed

let completed = 0;
let resolveDone;
const done = new Promise((resolve) => { resolveDone = resolve; });
const start = performance.now();
const pool = [];
for (let w = 0; w < workers; ++w) {
  const worker = new Worker(name, async () => {}, { connection: connect(), concurrency, autorun: false });
  worker.on('completed', () => {
    if (++completed === count) resolveDone();
  });
  pool.push(worker);
}
for (const worker of pool) worker.run();
await done;
const seconds = (performance.now() - start) / 1000;
await Promise.all(pool.map((w) => w.close()));
await queue.obliterate({ force: true });
await queue.close();
// Clients passed in are not closed by BullMQ.
for (const client of clients) client.disconnect();
console.log(JSON.stringify({
  peer: `bullmq ${JSON.parse((await import('node:fs')).readFileSync(new URL('./node_modules/bullmq/package.json', import.meta.url))).version}`,
  reminders: count, workers, concurrency,
  enqueue_seconds: Number(enqueueSeconds.toFixed(3)),
  dispatch_seconds: Number(seconds.toFixed(3)),
  reminders_per_second: Math.round(count / seconds),
}));
