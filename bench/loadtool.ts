// Load generator for what `nats bench` cannot do, built on the official `nats` npm client and identical for
// any NATS server:
//
//   queue  --url U --subs 4 --msgs N --size 128   a queue group of --subs members; one publisher; checks that
//                                                 every message is delivered exactly once across the group
//   idle   --url U --conns 10000                  opens idle connections (CONNECT + PING/PONG each), holds them,
//                                                 then checks each is still alive with a PING round trip
//   subs   --url U --subs 100000                  one connection subscribes to --subs distinct subjects (rate);
//                                                 then one message per subject must arrive exactly once
//
// Protocol with the caller (bench/compare.ts): after setup the tool prints `READY <json>` and waits for a line
// `GO` on stdin (or goes on at once with --auto), then prints `RESULT <json>` and exits 0 when every check
// passed, 1 when a check failed, 2 on an error or when --deadline-ms (default 120000) passed.
//
// Run by hand: node dist/bench/loadtool.js queue --url nats://127.0.0.1:4222 --msgs 100000 --auto

import { createInterface } from 'node:readline';
import { connect, type NatsConnection } from 'nats';

type Args = Record<string, string>;

function parseArgs(argv: string[]): { mode: string; args: Args } {
  const args: Args = {};
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2);
    if (key === 'auto') args[key] = '1';
    else args[key] = argv[++i] ?? '';
  }
  return { mode: argv[0] ?? '', args };
}

const { mode, args } = parseArgs(process.argv.slice(2));
const url = args.url ?? 'nats://127.0.0.1:4222';
const num = (k: string, d: number) => (args[k] !== undefined ? Number(args[k]) : d);
const deadlineMs = num('deadline-ms', 120_000);
const now = () => performance.now();

function emit(tag: 'READY' | 'RESULT', o: object): void {
  process.stdout.write(`${tag} ${JSON.stringify(o)}\n`);
}

const deadline = setTimeout(() => {
  emit('RESULT', { ok: false, error: `deadline of ${deadlineMs} ms passed in mode ${mode}` });
  process.exit(2);
}, deadlineMs);

let goResolve: (() => void) | undefined;
const go = new Promise<void>((r) => (goResolve = r));
if (args.auto) goResolve!();
else {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (l) => {
    if (l.trim() === 'GO') goResolve!();
  });
  rl.on('close', () => goResolve!());
}

const connOpts = { servers: url, reconnect: false, pingInterval: 10 * 60_000, maxPingOut: 10, timeout: 20_000 };

/** Run fn(i) for i in [0, n) with at most `width` in flight. */
async function pool(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
}

async function queue(): Promise<object> {
  const members = num('subs', 4);
  const n = num('msgs', 100_000);
  const size = Math.max(4, num('size', 128));
  const batch = num('batch', 1000);
  const subject = args.subject ?? 'bench.queue';
  const seen = new Uint8Array(n);
  const perMember = new Array<number>(members).fill(0);
  let received = 0;
  let dups = 0;
  let bad = 0;
  let tLast = 0;
  let allIn: (() => void) | undefined;
  const allInP = new Promise<void>((r) => (allIn = r));
  const subs: NatsConnection[] = [];
  for (let m = 0; m < members; m++) {
    const nc = await connect({ ...connOpts, name: `bench-queue-${m}` });
    subs.push(nc);
    nc.subscribe(subject, {
      queue: 'workers',
      callback: (err, msg) => {
        if (err) return;
        const d = msg.data;
        const seq = d.length >= 4 ? (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0 : n;
        perMember[m]!++;
        if (seq >= n) bad++;
        else if (seen[seq]) dups++;
        else {
          seen[seq] = 1;
          received++;
          if (received === n) {
            tLast = now();
            allIn!();
          }
        }
      },
    });
  }
  await Promise.all(subs.map((s) => s.flush()));
  const pub = await connect({ ...connOpts, name: 'bench-queue-pub' });
  emit('READY', { members });
  await go;
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const p = new Uint8Array(size);
    p[0] = i & 0xff;
    p[1] = (i >>> 8) & 0xff;
    p[2] = (i >>> 16) & 0xff;
    p[3] = (i >>> 24) & 0xff;
    pub.publish(subject, p);
    if ((i + 1) % batch === 0) await pub.flush();
  }
  await pub.flush();
  const tPub = now();
  const waitMs = num('drain-ms', 30_000);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allInP, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
  clearTimeout(timer);
  // A PING round trip on every member: anything the server sent before its PONG has been processed.
  await Promise.all(subs.map((s) => s.flush()));
  const complete = received === n;
  await Promise.all([...subs, pub].map((c) => c.close()));
  const elapsedS = ((complete ? tLast : now()) - t0) / 1000;
  const ok = complete && dups === 0 && bad === 0;
  return {
    ok,
    error: ok ? undefined : `queue group: published ${n}, delivered once ${received}, missing ${n - received}, duplicates ${dups}, foreign ${bad}`,
    msgs: n,
    size,
    members,
    received,
    missing: n - received,
    duplicates: dups,
    perMember,
    pubMsgsPerSec: n / ((tPub - t0) / 1000),
    msgsPerSec: received / elapsedS,
    elapsedS,
  };
}

async function idle(): Promise<object> {
  const n = num('conns', 10_000);
  const width = num('concurrency', 64);
  const conns: (NatsConnection | undefined)[] = new Array(n);
  let failed = 0;
  let firstError = '';
  const t0 = now();
  await pool(n, width, async (i) => {
    try {
      conns[i] = await connect({ ...connOpts, name: `bench-idle-${i}` });
    } catch (e) {
      failed++;
      if (!firstError) firstError = e instanceof Error ? e.message : String(e);
    }
  });
  const connectS = (now() - t0) / 1000;
  emit('READY', { conns: n - failed, failed, connectS, connsPerSec: (n - failed) / connectS });
  await go;
  // Every connection must still be alive: one PING/PONG each.
  let dead = 0;
  await pool(n, 256, async (i) => {
    const c = conns[i];
    if (!c) return;
    try {
      if (c.isClosed()) throw new Error('closed');
      await Promise.race([c.flush(), new Promise((_, rej) => setTimeout(() => rej(new Error('flush timeout')), 20_000))]);
    } catch {
      dead++;
    }
  });
  await pool(n, 512, async (i) => {
    try {
      await conns[i]?.close();
    } catch {
      /* already gone */
    }
  });
  const ok = failed === 0 && dead === 0;
  return {
    ok,
    error: ok ? undefined : `idle connections: ${failed} of ${n} failed to connect (${firstError}), ${dead} dead at the liveness check`,
    conns: n,
    failed,
    dead,
    connectS,
    connsPerSec: (n - failed) / connectS,
  };
}

async function subs(): Promise<object> {
  const n = num('subs', 100_000);
  const prefix = 'bench.subs.';
  const counts = new Uint16Array(n);
  let received = 0;
  let dups = 0;
  let bad = 0;
  let allIn: (() => void) | undefined;
  const allInP = new Promise<void>((r) => (allIn = r));
  const nc = await connect({ ...connOpts, name: 'bench-subs' });
  const cb = (err: unknown, msg: { subject: string }) => {
    if (err) return;
    const i = Number(msg.subject.slice(prefix.length));
    if (!(i >= 0 && i < n) || !msg.subject.startsWith(prefix)) bad++;
    else if (counts[i]!++ > 0) dups++;
    else if (++received === n) allIn!();
  };
  const t0 = now();
  for (let i = 0; i < n; i++) nc.subscribe(`${prefix}${i}`, { callback: cb });
  await nc.flush();
  const subscribeS = (now() - t0) / 1000;
  emit('READY', { subs: n, subscribeS, subsPerSec: n / subscribeS });
  await go;
  const pub = await connect({ ...connOpts, name: 'bench-subs-pub' });
  const empty = new Uint8Array(0);
  for (let i = 0; i < n; i++) {
    pub.publish(`${prefix}${i}`, empty);
    if ((i + 1) % 5000 === 0) await pub.flush();
  }
  await pub.flush();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allInP, new Promise<void>((r) => (timer = setTimeout(r, num('drain-ms', 30_000))))]);
  clearTimeout(timer);
  await nc.flush();
  await Promise.all([nc.close(), pub.close()]);
  const ok = received === n && dups === 0 && bad === 0;
  return {
    ok,
    error: ok ? undefined : `subscriptions: ${n} subjects, delivered once ${received}, missing ${n - received}, duplicates ${dups}, foreign ${bad}`,
    subs: n,
    received,
    missing: n - received,
    duplicates: dups,
    subscribeS,
    subsPerSec: n / subscribeS,
  };
}

async function main(): Promise<number> {
  const modes: Record<string, () => Promise<object>> = { queue, idle, subs };
  const run = modes[mode];
  if (!run) {
    emit('RESULT', { ok: false, error: `unknown mode "${mode}" (queue | idle | subs)` });
    return 2;
  }
  const r = (await run()) as { ok: boolean };
  emit('RESULT', r);
  return r.ok ? 0 : 1;
}

main().then(
  (code) => {
    clearTimeout(deadline);
    process.exit(code);
  },
  (err: unknown) => {
    emit('RESULT', { ok: false, error: err instanceof Error ? err.message : String(err) });
    process.exit(2);
  },
);
