// `npm run bench:compare`: Myelin vs the Go nats-server, side by side on loopback, same load generators.
//
// Every (round, scenario, server) run starts a fresh server (so VmHWM is that run's peak RSS), measures it, and
// stops it. Rounds are interleaved A/B, and the server that goes first alternates. Load comes from `nats bench`
// (natscli) where it can, and from bench/loadtool.ts (official `nats` npm client) for the queue group, idle
// connections and many subscriptions. Every child process has a hard deadline and is killed when it passes.
//
//   npm run bench:compare                       full run (3 rounds, a few seconds per run)
//   npm run bench:compare -- --quick            about a minute
//   npm run bench:smoke                         seconds, tiny counts, one round, no result files; exit 0 iff all ran
//   options: --rounds N  --scenario NAME[,NAME]  (repeatable; `pub*` = prefix, `js*`/`kv*` = JetStream)  --list
//            --myelin-args "--workers 2"  --nats-args "..."  --myelin-bin PATH  --nats-server PATH  --nats PATH
//            --out DIR (default bench/results; smoke writes only when given)  --no-write
//
// Results: bench/results/<YYYY-MM-DD>-<hostname>[-quick].md and .json (date, machine, versions, commands,
// medians, ratios, CPU seconds per million units, peak RSS); a later run on the same day appends -HHMMSS (UTC).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release, tmpdir, totalmem } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { runChild, sleep, startChild, type Child } from './proc.js';
import { startServer, type RunningServer, type ServerName, type ServerSpec } from './servers.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const loadtool = fileURLToPath(new URL('./loadtool.js', import.meta.url));

// ---------------------------------------------------------------------------------------------- options

type Mode = 'full' | 'quick' | 'smoke';

interface Opts {
  mode: Mode;
  rounds: number;
  scenarios: string[];
  myelinArgs: string[];
  natsArgs: string[];
  myelinBin: string;
  natsServer: string;
  nats: string;
  out: string | undefined;
  list: boolean;
}

function splitArgs(s: string): string[] {
  return s.split(/\s+/).filter((x) => x !== '');
}

function which(name: string, envVar: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  for (const dir of [join(process.env.GOPATH ?? join(process.env.HOME ?? '/root', 'go'), 'bin'), join(repoRoot, 'bench', '.tools')]) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return name;
}

function parseOpts(argv: string[]): Opts {
  const o: Opts = {
    mode: 'full',
    rounds: 0,
    scenarios: [],
    myelinArgs: [],
    natsArgs: [],
    myelinBin: join(repoRoot, 'bin', 'myelin.js'),
    natsServer: which('nats-server', 'NATS_SERVER_BIN'),
    nats: which('nats', 'NATS_CLI_BIN'),
    out: undefined,
    list: false,
  };
  let noWrite = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.mode = 'quick';
    else if (a === '--smoke') o.mode = 'smoke';
    else if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--scenario') o.scenarios.push(...val().split(','));
    else if (a === '--myelin-args') o.myelinArgs.push(...splitArgs(val()));
    else if (a === '--nats-args') o.natsArgs.push(...splitArgs(val()));
    else if (a === '--myelin-bin') o.myelinBin = val();
    else if (a === '--nats-server') o.natsServer = val();
    else if (a === '--nats') o.nats = val();
    else if (a === '--out') o.out = val();
    else if (a === '--no-write') noWrite = true;
    else if (a === '--list') o.list = true;
    else throw new Error(`unknown option ${a} (see the header of bench/compare.ts)`);
  }
  if (o.rounds === 0) o.rounds = o.mode === 'smoke' ? 1 : 3;
  if (!Number.isInteger(o.rounds) || o.rounds < 1 || o.rounds > 50) throw new Error('--rounds must be 1..50');
  if (o.out === undefined && o.mode !== 'smoke') o.out = join(repoRoot, 'bench', 'results');
  if (noWrite) o.out = undefined;
  return o;
}

// -------------------------------------------------------------------------------------------- scenarios

interface Metric {
  key: string;
  unit: string;
  better: 'higher' | 'lower';
  value: number;
}

interface RunOutcome {
  metrics: Metric[];
  /** What CPU time is normalised by (messages published, requests, connections, subscriptions) and how many. */
  units: number;
  cpuS: number;
  commands: string[];
  detail?: Record<string, unknown>;
}

interface Scenario {
  name: string;
  describe: string;
  unit: string;
  /** Work size per mode. */
  counts: Record<Mode, number>;
  /** Extra server flags per run (JetStream scenarios: `-js -sd <fresh dir>`, and a config file). */
  serverArgs?(server: ServerName, runDir: string): string[];
  run(server: RunningServer, n: number, ctx: Ctx): Promise<RunOutcome>;
}

interface Ctx {
  opts: Opts;
  tmp: string;
  graceMs: number;
}

class RunError extends Error {
  constructor(
    message: string,
    readonly commands: string[],
    readonly outputs: string[] = [],
  ) {
    super(message);
  }
}

function natsArgs(server: RunningServer, rest: string[]): string[] {
  return ['--no-context', '-s', server.url, 'bench', ...rest, '--no-progress'];
}

/** Seconds a load child may take: generous, so that only a hang or a loss trips it. */
function budgetMs(work: number, floorS = 20): number {
  return Math.min(600, floorS + work / 50_000) * 1000;
}

function parseRate(out: string): number {
  const m = /aggregated stats: ([\d,.]+) msgs\/sec/.exec(out) ?? /stats: ([\d,.]+) msgs\/sec/.exec(out);
  return m ? Number(m[1]!.replace(/,/g, '')) : NaN;
}

function readCsv(file: string): Record<string, string>[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const head = lines[0]?.replace(/^#/, '').split(',') ?? [];
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i] ?? String(i), v])));
}

function exitText(e: { code: number | null; signal: string | null; timedOut: boolean }): string {
  return e.timedOut ? 'timed out and was killed' : `exited with code ${e.code}${e.signal ? ` (signal ${e.signal})` : ''}`;
}

/** `nats bench sub` (if subClients > 0) started first and given time to subscribe, then `nats bench pub`. */
async function pubSub(
  server: RunningServer,
  ctx: Ctx,
  p: { name: string; size: number; msgs: number; pubClients: number; subClients: number },
): Promise<RunOutcome> {
  const subject = `bench.${p.name}`;
  const subCsv = join(ctx.tmp, `${p.name}-${server.name}-sub.csv`);
  const pubCsv = join(ctx.tmp, `${p.name}-${server.name}-pub.csv`);
  rmSync(subCsv, { force: true });
  rmSync(pubCsv, { force: true });
  const size = `${p.size}B`;
  const deliveries = p.msgs * Math.max(1, p.subClients);
  const commands: string[] = [];
  let sub: Child | undefined;
  if (p.subClients > 0) {
    const args = natsArgs(server, ['sub', subject, '--clients', String(p.subClients), '--msgs', String(p.msgs), '--size', size, '--csv', subCsv]);
    sub = startChild(ctx.opts.nats, args, budgetMs(deliveries + p.msgs));
    commands.push(sub.commandLine);
    // natscli logs "Starting ..." per client just before it subscribes and flushes; then give it a moment.
    const ready = await sub.waitFor(/Starting Core NATS subscriber/, p.subClients, 15_000);
    if (!ready) {
      await sub.stop(1000);
      throw new RunError(`nats bench sub did not start: ${sub.output().slice(-1000)}`, commands, [sub.output()]);
    }
    await sleep(ctx.graceMs);
  }
  const cpu0 = server.cpu();
  const pubArgs = natsArgs(server, ['pub', subject, '--clients', String(p.pubClients), '--msgs', String(p.msgs), '--size', size, '--csv', pubCsv]);
  const pub = await runChild(ctx.opts.nats, pubArgs, budgetMs(p.msgs + deliveries));
  commands.push(pub.commandLine);
  if (pub.code !== 0) {
    await sub?.stop(1000);
    throw new RunError(`nats bench pub ${exitText(pub)}: ${pub.output.slice(-1500)}`, commands, [pub.output, sub?.output() ?? '']);
  }
  let subRate = NaN;
  if (sub) {
    // natscli's sub never gives up on its own: stop waiting as soon as it reports a disconnect.
    const disconnected = sub.waitFor(/Disconnected due to/, 1, budgetMs(deliveries, 10));
    const e = await Promise.race([sub.waitExit(budgetMs(deliveries, 10)), disconnected.then(async (d) => (d ? undefined : sub!.exited))]);
    if (!e || e.code !== 0) {
      await sub.stop(1000);
      const why = /Disconnected due to/.test(sub.output()) ? 'was disconnected by the server' : e ? exitText(e) : 'did not finish';
      throw new RunError(
        `nats bench sub ${why}: the ${p.subClients} subscriber(s) did not each receive all ${p.msgs} messages ` +
          `(lost messages, a stalled server or a dropped connection); server alive: ${server.alive()}; ` +
          `sub output tail: ${sub.output().slice(-800)}`,
        commands,
        [pub.output, sub.output()],
      );
    }
    subRate = parseRate(sub.output());
  }
  const cpuS = server.cpu() - cpu0;
  const pubRate = parseRate(pub.output);
  const metrics: Metric[] = [];
  if (sub) metrics.push({ key: 'delivered msgs/s', unit: 'msgs/s', better: 'higher', value: subRate });
  metrics.push({ key: 'published msgs/s', unit: 'msgs/s', better: 'higher', value: pubRate });
  return { metrics, units: p.msgs, cpuS, commands, detail: { delivered: sub ? deliveries : 0 } };
}

async function reqReply(server: RunningServer, n: number, ctx: Ctx): Promise<RunOutcome> {
  const subject = 'bench.service';
  const csv = join(ctx.tmp, `reqrep-${server.name}.csv`);
  rmSync(csv, { force: true });
  const serve = startChild(ctx.opts.nats, natsArgs(server, ['service', 'serve', subject, '--clients', '1', '--size', '128B']), budgetMs(n * 20));
  const commands = [serve.commandLine];
  try {
    if (!(await serve.waitFor(/Starting Core NATS service server/, 1, 15_000))) {
      throw new RunError(`nats bench service serve did not start: ${serve.output().slice(-1000)}`, commands);
    }
    await sleep(ctx.graceMs);
    const cpu0 = server.cpu();
    const req = await runChild(ctx.opts.nats, natsArgs(server, ['service', 'request', subject, '--msgs', String(n), '--size', '128B', '--csv', csv]), budgetMs(n * 20));
    commands.push(req.commandLine);
    const cpuS = server.cpu() - cpu0;
    if (req.code !== 0) throw new RunError(`nats bench service request ${exitText(req)}: ${req.output.slice(-1500)}`, commands, [req.output, serve.output()]);
    const row = readCsv(csv)[0];
    const p50 = Number(row?.P50LatencyMicroSecs ?? /P50: ([\d,.]+)us/.exec(req.output)?.[1]?.replace(/,/g, '') ?? NaN);
    const p99 = Number(row?.P99LatencyMicroSecs ?? /P99: ([\d,.]+)us/.exec(req.output)?.[1]?.replace(/,/g, '') ?? NaN);
    return {
      metrics: [
        { key: 'latency p50', unit: 'µs', better: 'lower', value: p50 },
        { key: 'latency p99', unit: 'µs', better: 'lower', value: p99 },
        { key: 'requests/s', unit: 'req/s', better: 'higher', value: parseRate(req.output) },
      ],
      units: n,
      cpuS,
      commands,
    };
  } finally {
    await serve.stop(1000); // `service serve` runs until killed
  }
}

/** Run bench/loadtool.js: setup, READY (measure here), GO, RESULT. */
async function tool(
  server: RunningServer,
  args: string[],
  budget: number,
  atReady: (ready: Record<string, number>) => void,
): Promise<{ result: Record<string, unknown>; commandLine: string }> {
  const full = [loadtool, ...args, '--url', server.url, '--deadline-ms', String(budget - 2000)];
  const c = startChild(process.execPath, full, budget);
  const commands = [c.commandLine];
  const ready = await c.waitFor(/^READY /m, 1, budget);
  if (!ready) {
    await c.stop(1000);
    throw new RunError(`loadtool ${args[0]} never got ready: ${c.output().slice(-1500)}`, commands, [c.output()]);
  }
  atReady(JSON.parse(/^READY (.*)$/m.exec(c.output())![1]!) as Record<string, number>);
  c.send('GO\n');
  const e = await c.exited;
  const m = /^RESULT (.*)$/m.exec(c.stdout());
  const result = m ? (JSON.parse(m[1]!) as Record<string, unknown>) : undefined;
  if (!result || e.code !== 0 || result.ok !== true) {
    throw new RunError(`loadtool ${args[0]} ${exitText(e)}: ${String(result?.error ?? c.output().slice(-1500))}`, commands, [c.output()]);
  }
  return { result, commandLine: c.commandLine };
}

async function queueGroup(server: RunningServer, n: number): Promise<RunOutcome> {
  let cpu0 = 0;
  const { result, commandLine } = await tool(server, ['queue', '--subs', '4', '--msgs', String(n), '--size', '128'], budgetMs(n, 30), () => {
    cpu0 = server.cpu();
  });
  return {
    metrics: [{ key: 'delivered msgs/s', unit: 'msgs/s', better: 'higher', value: result.msgsPerSec as number }],
    units: n,
    cpuS: server.cpu() - cpu0,
    commands: [commandLine],
    detail: { perMember: result.perMember },
  };
}

async function idleConns(server: RunningServer, n: number): Promise<RunOutcome> {
  const cpu0 = server.cpu();
  const rss0 = server.mem().rss;
  let rss1 = NaN;
  let cpuS = NaN;
  let rate = NaN;
  const { commandLine } = await tool(server, ['idle', '--conns', String(n)], budgetMs(n * 50, 30), (ready) => {
    cpuS = server.cpu() - cpu0;
    rss1 = server.mem().rss;
    rate = ready.connsPerSec ?? NaN;
  });
  return {
    metrics: [
      { key: `RSS with ${n} idle conns`, unit: 'MiB', better: 'lower', value: rss1 / 1024 },
      { key: 'RSS per idle conn', unit: 'KiB', better: 'lower', value: (rss1 - rss0) / n },
      { key: 'connects/s (client-bound)', unit: 'conn/s', better: 'higher', value: rate },
    ],
    units: n,
    cpuS,
    commands: [commandLine],
    detail: { baselineRssKiB: rss0 },
  };
}

async function manySubs(server: RunningServer, n: number): Promise<RunOutcome> {
  const cpu0 = server.cpu();
  const rss0 = server.mem().rss;
  let rss1 = NaN;
  let cpuS = NaN;
  let rate = NaN;
  const { commandLine } = await tool(server, ['subs', '--subs', String(n)], budgetMs(n * 10, 30), (ready) => {
    cpuS = server.cpu() - cpu0;
    rss1 = server.mem().rss;
    rate = ready.subsPerSec ?? NaN;
  });
  return {
    metrics: [
      { key: 'subscribe rate', unit: 'subs/s', better: 'higher', value: rate },
      { key: `RSS with ${n} subs`, unit: 'MiB', better: 'lower', value: rss1 / 1024 },
      { key: 'RSS per sub', unit: 'B', better: 'lower', value: ((rss1 - rss0) * 1024) / n },
    ],
    units: n,
    cpuS,
    commands: [commandLine],
    detail: { baselineRssKiB: rss0 },
  };
}

// ------------------------------------------------------------------------------------------ JetStream

/**
 * Server flags for a JetStream run: a fresh store directory, and for Myelin, when `myelinSync` is given, a
 * config file setting `jetstream { sync_interval }` (nats-server's default is 2m, so `"2m"` is like against
 * like; without it each server runs its own default: Myelin fsyncs before acking, nats-server every 2 min).
 */
function jsServerArgs(myelinSync?: string): (server: ServerName, runDir: string) => string[] {
  return (server, runDir) => {
    const args = ['-js', '-sd', join(runDir, 'store')];
    if (server === 'myelin' && myelinSync !== undefined) {
      const conf = join(runDir, 'myelin.conf');
      writeFileSync(conf, `jetstream {\n  sync_interval: ${JSON.stringify(myelinSync)}\n}\n`);
      args.push('-c', conf);
    }
    return args;
  };
}

/**
 * natscli commands: `setup` (full `nats` argument lists, not measured) then the `nats bench` command
 * `measure`, whose rate is the metric.
 */
async function jsBench(server: RunningServer, ctx: Ctx, n: number, setup: string[][], measure: string[], metric: string): Promise<RunOutcome> {
  const commands: string[] = [];
  for (const args of setup) {
    const r = await runChild(ctx.opts.nats, ['--no-context', '-s', server.url, ...args], budgetMs(n * 4));
    commands.push(r.commandLine);
    if (r.code !== 0) throw new RunError(`setup nats ${args.slice(0, 4).join(' ')} ${exitText(r)}: ${r.output.slice(-1500)}`, commands, [r.output]);
  }
  const cpu0 = server.cpu();
  const r = await runChild(ctx.opts.nats, natsArgs(server, measure), budgetMs(n * 4));
  commands.push(r.commandLine);
  const cpuS = server.cpu() - cpu0;
  if (r.code !== 0) throw new RunError(`nats bench ${measure.slice(0, 3).join(' ')} ${exitText(r)}: ${r.output.slice(-1500)}`, commands, [r.output]);
  return { metrics: [{ key: metric, unit: 'msgs/s', better: 'higher', value: parseRate(r.output) }], units: n, cpuS, commands };
}

const JS_SUBJECT = 'bench.js';

/**
 * The stream `nats bench js` uses, created with `nats stream add` rather than the bench's `--create`: that path
 * sets `allow_atomic` (or `persist_mode`), which needs JetStream API level 2, and Myelin serves level 0.
 */
function jsStream(storage: 'file' | 'memory'): string[] {
  return ['stream', 'add', 'benchstream', '--subjects', JS_SUBJECT, '--storage', storage, '--defaults'];
}

function jsPub(kind: 'sync' | 'async', n: number): string[] {
  return ['js', 'pub', kind, JS_SUBJECT, '--msgs', String(n), '--size', '128B'];
}

/**
 * kv-get fills its bucket with this many concurrent sync putters (keys 0..n-1 split between them), on both
 * servers alike: one putter with one put in flight pays a full fsync per key under Myelin's default
 * fsync-before-ack and did not finish 100k keys in the setup budget; concurrent puts share each sync.
 */
const KV_FILL_CLIENTS = 50;

const JS_SCENARIOS: Scenario[] = [
  {
    name: 'js-pub-sync',
    describe: 'JetStream sync publish (one in flight), file storage, 128 B; each server with its default sync policy',
    unit: 'msgs published',
    counts: { full: 20_000, quick: 3_000, smoke: 200 },
    serverArgs: jsServerArgs(),
    run: (s, n, ctx) => jsBench(s, ctx, n, [jsStream('file')], jsPub('sync', n), 'acked msgs/s'),
  },
  {
    name: 'js-pub-sync-2m',
    describe: 'as js-pub-sync, like against like: Myelin with sync_interval 2m (nats-server\'s default)',
    unit: 'msgs published',
    counts: { full: 20_000, quick: 3_000, smoke: 200 },
    serverArgs: jsServerArgs('2m'),
    run: (s, n, ctx) => jsBench(s, ctx, n, [jsStream('file')], jsPub('sync', n), 'acked msgs/s'),
  },
  {
    name: 'js-pub-async',
    describe: 'JetStream async publish (batches of 500 in flight), file storage, 128 B; each server with its default sync policy',
    unit: 'msgs published',
    counts: { full: 1_000_000, quick: 100_000, smoke: 2_000 },
    serverArgs: jsServerArgs(),
    run: (s, n, ctx) => jsBench(s, ctx, n, [jsStream('file')], jsPub('async', n), 'acked msgs/s'),
  },
  {
    name: 'js-pub-async-2m',
    describe: 'as js-pub-async, like against like: Myelin with sync_interval 2m (nats-server\'s default)',
    unit: 'msgs published',
    counts: { full: 1_000_000, quick: 100_000, smoke: 2_000 },
    serverArgs: jsServerArgs('2m'),
    run: (s, n, ctx) => jsBench(s, ctx, n, [jsStream('file')], jsPub('async', n), 'acked msgs/s'),
  },
  {
    name: 'js-pub-batch-2m',
    describe: 'JetStream atomic batch publish (batches of 100, each committed and acked once), file storage, 128 B, like against like (sync_interval 2m)',
    unit: 'msgs published',
    counts: { full: 200_000, quick: 20_000, smoke: 1_000 },
    serverArgs: jsServerArgs('2m'),
    run: (s, n, ctx) =>
      jsBench(s, ctx, n, [[...jsStream('file'), '--allow-batch']], ['js', 'pub', 'batch', JS_SUBJECT, '--msgs', String(n), '--size', '128B', '--batch', '100'], 'acked msgs/s'),
  },
  {
    name: 'js-pub-mem',
    describe: 'JetStream async publish, memory storage, 128 B (no fsync on either server)',
    unit: 'msgs published',
    counts: { full: 1_000_000, quick: 100_000, smoke: 2_000 },
    serverArgs: jsServerArgs(),
    run: (s, n, ctx) => jsBench(s, ctx, n, [jsStream('memory')], jsPub('async', n), 'acked msgs/s'),
  },
  {
    name: 'js-ordered',
    describe: 'ordered-consumer replay of a file stream of 128 B messages (filled first by async publish, not measured)',
    unit: 'msgs replayed',
    counts: { full: 1_000_000, quick: 100_000, smoke: 2_000 },
    serverArgs: jsServerArgs(),
    run: (s, n, ctx) => jsBench(s, ctx, n, [jsStream('file'), ['bench', ...jsPub('async', n), '--no-progress']], ['js', 'ordered', '--msgs', String(n), '--size', '128B'], 'received msgs/s'),
  },
  {
    name: 'js-consume',
    describe: 'durable pull consumer, Consume() with explicit acks (500 in flight), file stream of 128 B messages (filled first by async publish, not measured); each server with its default sync policy',
    unit: 'msgs consumed',
    counts: { full: 500_000, quick: 50_000, smoke: 2_000 },
    serverArgs: jsServerArgs(),
    run: (s, n, ctx) => jsBench(s, ctx, n, [jsStream('file'), ['bench', ...jsPub('async', n), '--no-progress']], ['js', 'consume', '--msgs', String(n), '--size', '128B'], 'received msgs/s'),
  },
  {
    name: 'js-push',
    describe: 'durable push consumer with a deliver group, explicit acks (500 in flight), `nats bench oldjs push`, file stream of 128 B messages (filled first, not measured); default sync policies',
    unit: 'msgs consumed',
    counts: { full: 500_000, quick: 50_000, smoke: 2_000 },
    serverArgs: jsServerArgs(),
    run: (s, n, ctx) =>
      jsBench(s, ctx, n, [jsStream('file'), ['bench', ...jsPub('async', n), '--no-progress']], ['oldjs', 'push', JS_SUBJECT, '--msgs', String(n), '--size', '128B'], 'received msgs/s'),
  },
  {
    name: 'kv-get',
    describe: `KV get of existing keys, 128 B values, file storage (bucket filled first by kv put from ${KV_FILL_CLIENTS} clients, not measured)`,
    unit: 'gets',
    counts: { full: 100_000, quick: 10_000, smoke: 200 },
    serverArgs: jsServerArgs(),
    run: (s, n, ctx) =>
      jsBench(
        s,
        ctx,
        n,
        [['bench', 'kv', 'put', '--storage', 'file', '--clients', String(KV_FILL_CLIENTS), '--msgs', String(n), '--size', '128B', '--no-progress']],
        ['kv', 'get', '--msgs', String(n), '--size', '128B'],
        'gets/s',
      ),
  },
];

const SCENARIOS: Scenario[] = [
  {
    name: 'pub-16',
    describe: 'publish only, 16 B, 1 publisher, no subscriber',
    unit: 'msgs published',
    counts: { full: 10_000_000, quick: 1_000_000, smoke: 20_000 },
    run: (s, n, ctx) => pubSub(s, ctx, { name: 'pub-16', size: 16, msgs: n, pubClients: 1, subClients: 0 }),
  },
  {
    name: 'pub-128',
    describe: 'publish only, 128 B, 1 publisher, no subscriber',
    unit: 'msgs published',
    counts: { full: 5_000_000, quick: 500_000, smoke: 20_000 },
    run: (s, n, ctx) => pubSub(s, ctx, { name: 'pub-128', size: 128, msgs: n, pubClients: 1, subClients: 0 }),
  },
  {
    name: 'pubsub-16',
    describe: '1 publisher → 1 subscriber, 16 B',
    unit: 'msgs published',
    counts: { full: 5_000_000, quick: 500_000, smoke: 20_000 },
    run: (s, n, ctx) => pubSub(s, ctx, { name: 'pubsub-16', size: 16, msgs: n, pubClients: 1, subClients: 1 }),
  },
  {
    name: 'pubsub-1k',
    describe: '1 publisher → 1 subscriber, 1 KiB',
    unit: 'msgs published',
    counts: { full: 1_000_000, quick: 100_000, smoke: 5_000 },
    run: (s, n, ctx) => pubSub(s, ctx, { name: 'pubsub-1k', size: 1024, msgs: n, pubClients: 1, subClients: 1 }),
  },
  {
    name: 'fanout-10',
    describe: '1 publisher → 10 subscriber clients, 128 B (delivered = 10 × published)',
    unit: 'msgs published',
    counts: { full: 500_000, quick: 50_000, smoke: 2_000 },
    run: (s, n, ctx) => pubSub(s, ctx, { name: 'fanout-10', size: 128, msgs: n, pubClients: 1, subClients: 10 }),
  },
  {
    name: 'queue-4',
    describe: '1 publisher → queue group of 4, 128 B, exactly-once check (bench/loadtool.ts, nats.js)',
    unit: 'msgs published',
    counts: { full: 1_000_000, quick: 100_000, smoke: 5_000 },
    run: (s, n) => queueGroup(s, n),
  },
  {
    name: 'pubsub-4x4',
    describe: '4 publishers × 4 subscribers, 128 B (delivered = 4 × published)',
    unit: 'msgs published',
    counts: { full: 2_000_000, quick: 200_000, smoke: 8_000 },
    run: (s, n, ctx) => pubSub(s, ctx, { name: 'pubsub-4x4', size: 128, msgs: n, pubClients: 4, subClients: 4 }),
  },
  {
    name: 'reqrep',
    describe: 'request/reply round trips, 128 B, 1 requester, 1 service (nats bench service)',
    unit: 'requests',
    counts: { full: 20_000, quick: 3_000, smoke: 300 },
    run: (s, n, ctx) => reqReply(s, n, ctx),
  },
  {
    name: 'idle-10k',
    describe: 'idle connections held open (bench/loadtool.ts, nats.js); RSS read once all are connected',
    unit: 'connections',
    counts: { full: 10_000, quick: 1_000, smoke: 50 },
    run: (s, n) => idleConns(s, n),
  },
  {
    name: 'subs-100k',
    describe: 'distinct subscriptions on one connection, then one message per subject exactly once (bench/loadtool.ts)',
    unit: 'subscriptions',
    counts: { full: 100_000, quick: 50_000, smoke: 1_000 },
    run: (s, n) => manySubs(s, n),
  },
  ...JS_SCENARIOS,
];

// ------------------------------------------------------------------------------------------ bookkeeping

interface RunRecord {
  round: number;
  scenario: string;
  server: ServerName;
  ok: boolean;
  error?: string;
  metrics: Metric[];
  units: number;
  cpuS: number;
  cpuSPerMUnits: number;
  peakRssKiB: number;
  serverCommand: string;
  commands: string[];
  serverLog: string[];
  detail?: Record<string, unknown>;
}

function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

function fmt(v: number, unit = ''): string {
  if (!Number.isFinite(v)) return '—';
  if (unit === 'msgs/s' || unit === 'req/s' || unit === 'subs/s' || unit === 'conn/s') {
    if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
    return v.toFixed(0);
  }
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function mdTable(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(3, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `| ${w.map((x) => '-'.repeat(x)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return `unavailable (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
}

function machineInfo(opts: Opts): Record<string, unknown> {
  const model = /^model name\s*:\s*(.*)$/m.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? cpus()[0]?.model;
  const dirty = sh('git', ['-C', repoRoot, 'status', '--porcelain']);
  return {
    hostname: hostname(),
    nproc: Number(sh('nproc', [])) || cpus().length,
    cpuModel: model,
    kernel: release(),
    memTotalMiB: Math.round(totalmem() / 2 ** 20),
    loadavgAtStart: loadavg().map((x) => Number(x.toFixed(2))),
    versions: {
      node: process.version,
      go: sh('go', ['version']),
      natsServer: sh(opts.natsServer, ['--version']).replace(/^nats-server:\s*/, ''),
      natscli: sh(opts.nats, ['--version']),
      myelin: sh(process.execPath, [opts.myelinBin, '--version']).replace(/^myelin:\s*/, ''),
      gitCommit: sh('git', ['-C', repoRoot, 'rev-parse', 'HEAD']),
      gitDirty: dirty !== '' && !dirty.startsWith('unavailable'),
    },
    binaries: { natsServer: opts.natsServer, nats: opts.nats, myelin: opts.myelinBin },
  };
}

// ---------------------------------------------------------------------------------------------- running

async function runOne(sc: Scenario, spec: ServerSpec, round: number, ctx: Ctx): Promise<RunRecord> {
  const n = sc.counts[ctx.opts.mode];
  const rec: RunRecord = {
    round,
    scenario: sc.name,
    server: spec.name,
    ok: false,
    metrics: [],
    units: n,
    cpuS: NaN,
    cpuSPerMUnits: NaN,
    peakRssKiB: NaN,
    serverCommand: '',
    commands: [],
    serverLog: [],
  };
  let server: RunningServer | undefined;
  const runDir = sc.serverArgs !== undefined ? mkdtempSync(join(ctx.tmp, `${sc.name}-${spec.name}-`)) : undefined;
  try {
    const extra = runDir !== undefined && sc.serverArgs !== undefined ? sc.serverArgs(spec.name, runDir) : [];
    server = await startServer(extra.length > 0 ? { ...spec, extra: [...spec.extra, ...extra] } : spec, 15 * 60_000);
    rec.serverCommand = server.commandLine;
    await sleep(100);
    const out = await sc.run(server, n, ctx);
    rec.metrics = out.metrics;
    rec.cpuS = out.cpuS;
    rec.cpuSPerMUnits = (out.cpuS / out.units) * 1e6;
    rec.commands = out.commands;
    rec.detail = out.detail;
    rec.peakRssKiB = server.mem().hwm;
    if (!server.alive()) throw new RunError(`${spec.name} exited during the run: ${server.child.output().slice(-1500)}`, out.commands);
    rec.ok = true;
  } catch (e) {
    rec.error = e instanceof Error ? e.message : String(e);
    if (e instanceof RunError) rec.commands = e.commands;
  } finally {
    if (server) {
      if (Number.isNaN(rec.peakRssKiB)) rec.peakRssKiB = server.mem().hwm;
      rec.serverLog = server.problems();
      const exit = await server.stop();
      if (rec.ok && exit && exit.code !== 0 && exit.signal !== 'SIGTERM') {
        rec.serverLog.push(`server exit on SIGTERM: ${exit.code} ${exit.signal ?? ''}`);
      }
    }
    if (runDir !== undefined) rmSync(runDir, { recursive: true, force: true }); // the run's JetStream store
  }
  return rec;
}

interface Summary {
  scenario: string;
  describe: string;
  unit: string;
  count: number;
  rows: { key: string; unit: string; better: string; myelin: number; nats: number; ratio: number }[];
  cpu: { myelin: number; nats: number; ratio: number };
  rss: { myelin: number; nats: number; ratio: number };
  ok: { myelin: number; nats: number; rounds: number };
}

function summarize(sc: Scenario, recs: RunRecord[], mode: Mode, rounds: number): Summary {
  const of = (srv: ServerName) => recs.filter((r) => r.scenario === sc.name && r.server === srv && r.ok);
  const [m, g] = [of('myelin'), of('nats-server')];
  const keys = [...m, ...g][0]?.metrics ?? [];
  const rows = keys.map((k) => {
    const pick = (rs: RunRecord[]) => median(rs.map((r) => r.metrics.find((x) => x.key === k.key)?.value ?? NaN));
    const [mv, gv] = [pick(m), pick(g)];
    return { key: k.key, unit: k.unit, better: k.better, myelin: mv, nats: gv, ratio: mv / gv };
  });
  const cpu = { myelin: median(m.map((r) => r.cpuSPerMUnits)), nats: median(g.map((r) => r.cpuSPerMUnits)), ratio: NaN };
  cpu.ratio = cpu.myelin / cpu.nats;
  const rss = { myelin: median(m.map((r) => r.peakRssKiB)) / 1024, nats: median(g.map((r) => r.peakRssKiB)) / 1024, ratio: NaN };
  rss.ratio = rss.myelin / rss.nats;
  return { scenario: sc.name, describe: sc.describe, unit: sc.unit, count: sc.counts[mode], rows, cpu, rss, ok: { myelin: m.length, nats: g.length, rounds } };
}

function render(sums: Summary[]): string {
  const t1: string[][] = [['scenario', 'metric', 'myelin', 'nats-server', 'myelin / nats', 'better', 'ok runs (myelin, nats)']];
  for (const s of sums) {
    s.rows.forEach((r, i) => {
      t1.push([
        i === 0 ? s.scenario : '',
        `${r.key} (${r.unit})`,
        fmt(r.myelin, r.unit),
        fmt(r.nats, r.unit),
        Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : '—',
        r.better,
        i === 0 ? `${s.ok.myelin}/${s.ok.rounds} ${s.ok.nats}/${s.ok.rounds}` : '',
      ]);
    });
    if (s.rows.length === 0) t1.push([s.scenario, 'no successful run', '—', '—', '—', '', `${s.ok.myelin}/${s.ok.rounds} ${s.ok.nats}/${s.ok.rounds}`]);
  }
  const t2: string[][] = [['scenario', 'CPU s per M', 'myelin', 'nats-server', 'myelin / nats', 'peak RSS MiB myelin', 'nats-server', 'myelin / nats']];
  for (const s of sums) {
    const r = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');
    t2.push([s.scenario, s.unit, fmt(s.cpu.myelin), fmt(s.cpu.nats), r(s.cpu.ratio), fmt(s.rss.myelin), fmt(s.rss.nats), r(s.rss.ratio)]);
  }
  return `${mdTable(t1)}\n\nServer CPU (utime+stime) per million units, and peak RSS (VmHWM) — lower is better:\n\n${mdTable(t2)}`;
}

async function main(): Promise<number> {
  const opts = parseOpts(process.argv.slice(2));
  if (opts.list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(12)} ${s.describe} [full ${s.counts.full}, quick ${s.counts.quick}, smoke ${s.counts.smoke}]`);
    return 0;
  }
  const wanted = (name: string) =>
    opts.scenarios.length === 0 || opts.scenarios.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
  const scenarios = SCENARIOS.filter((s) => wanted(s.name));
  if (scenarios.length === 0) throw new Error(`no scenario matches ${opts.scenarios.join(',')} (try --list)`);
  for (const [what, bin] of [['nats-server', opts.natsServer], ['nats (natscli)', opts.nats], ['myelin', opts.myelinBin]] as const) {
    if (!existsSync(bin)) throw new Error(`${what} not found at ${bin} (npm run tools installs the Go tools; npm run build builds Myelin)`);
  }
  const specs: Record<ServerName, ServerSpec> = {
    myelin: { name: 'myelin', cmd: process.execPath, pre: [opts.myelinBin], extra: opts.myelinArgs },
    'nats-server': { name: 'nats-server', cmd: opts.natsServer, pre: [], extra: opts.natsArgs },
  };
  const machine = machineInfo(opts);
  const started = new Date();
  const tmp = mkdtempSync(join(tmpdir(), 'myelin-compare-'));
  const ctx: Ctx = { opts, tmp, graceMs: opts.mode === 'smoke' ? 200 : 300 };
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`bench:compare mode=${opts.mode} rounds=${opts.rounds} scenarios=${scenarios.map((s) => s.name).join(',')}`);
  log(`machine: ${String(machine.nproc)} cpus, ${String(machine.cpuModel)}, kernel ${String(machine.kernel)}, load ${JSON.stringify(machine.loadavgAtStart)}`);
  const recs: RunRecord[] = [];
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      for (const [i, sc] of scenarios.entries()) {
        const order: ServerName[] = (round + i) % 2 === 1 ? ['myelin', 'nats-server'] : ['nats-server', 'myelin'];
        for (const name of order) {
          const t0 = Date.now();
          const rec = await runOne(sc, specs[name], round, ctx);
          recs.push(rec);
          const head = rec.metrics[0];
          log(
            `[round ${round}/${opts.rounds}] ${sc.name.padEnd(11)} ${name.padEnd(11)} ` +
              (rec.ok
                ? `${head ? `${head.key} ${fmt(head.value, head.unit)} ${head.unit}` : ''}; cpu ${rec.cpuS.toFixed(2)} s; peak RSS ${(rec.peakRssKiB / 1024).toFixed(1)} MiB`
                : `FAILED: ${rec.error}`) +
              ` (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
          );
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const finished = new Date();
  machine.loadavgAtEnd = loadavg().map((x) => Number(x.toFixed(2)));
  const sums = scenarios.map((sc) => summarize(sc, recs, opts.mode, opts.rounds));
  const table = render(sums);
  const failures = recs.filter((r) => !r.ok);
  const durationS = (finished.getTime() - started.getTime()) / 1000;
  console.log(`\n${table}\n`);
  console.log(`${recs.length} runs in ${durationS.toFixed(0)} s, ${failures.length} failed.`);
  for (const f of failures) {
    console.log(`\nFAILED round ${f.round} ${f.scenario} on ${f.server}: ${f.error}\n  server: ${f.serverCommand}`);
    for (const c of f.commands) console.log(`  load:   ${c}`);
    for (const l of f.serverLog) console.log(`  server log: ${l}`);
  }
  const warned = recs.filter((r) => r.ok && r.serverLog.length > 0);
  for (const w of warned) console.log(`\nnote: round ${w.round} ${w.scenario} on ${w.server}, server log: ${w.serverLog.join(' | ')}`);

  if (opts.out) {
    mkdirSync(opts.out, { recursive: true });
    const date = started.toISOString().slice(0, 10);
    let base = join(opts.out, `${date}-${hostname()}${opts.mode === 'full' ? '' : `-${opts.mode}`}`);
    // Never overwrite an earlier run of the same day: later ones get the start time appended.
    if (existsSync(`${base}.json`) || existsSync(`${base}.md`)) base += `-${started.toISOString().slice(11, 19).replace(/:/g, '')}`;
    const example = (sc: string, srv: ServerName) => recs.find((r) => r.scenario === sc && r.server === srv && r.commands.length > 0);
    const json = {
      date: started.toISOString(),
      durationS,
      mode: opts.mode,
      rounds: opts.rounds,
      argv: process.argv.slice(2),
      machine,
      method: {
        servers: 'fresh server per (round, scenario, server); both on 127.0.0.1 random ports via -p -1 --ports_file_dir',
        order: 'rounds interleaved A/B; which server goes first alternates by round and scenario',
        cpu: 'utime+stime from /proc/<pid>/stat during the load window, divided by the scenario unit count, × 1e6',
        peakRss: 'VmHWM from /proc/<pid>/status at the end of the run',
        medians: 'median over successful rounds',
      },
      scenarios: sums,
      runs: recs,
    };
    writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
    const v = machine.versions as Record<string, string>;
    const md = [
      `# Myelin vs nats-server — ${date} on ${hostname()} (${opts.mode}, ${opts.rounds} rounds)`,
      '',
      `Started ${started.toISOString()}, took ${durationS.toFixed(0)} s; ${recs.length} runs, ${failures.length} failed.`,
      '',
      '## Machine and versions',
      '',
      `- nproc ${String(machine.nproc)}, CPU ${String(machine.cpuModel)}, kernel ${String(machine.kernel)}, ${String(machine.memTotalMiB)} MiB RAM`,
      `- load average at start ${JSON.stringify(machine.loadavgAtStart)}, at end ${JSON.stringify(machine.loadavgAtEnd)}`,
      `- servers and load generators share these CPUs: absolute numbers are loopback-on-a-small-VM numbers`,
      `- node ${v.node}; ${v.go}; nats-server ${v.natsServer}; natscli ${v.natscli}; myelin ${v.myelin}`,
      `- myelin commit ${v.gitCommit}${machine.versions && (machine.versions as { gitDirty: boolean }).gitDirty ? ' (working tree has uncommitted changes)' : ''}`,
      `- command: \`npm run bench:compare -- ${process.argv.slice(2).join(' ')}\``,
      '',
      '## Results (medians)',
      '',
      table,
      '',
      '## Scenarios and exact commands',
      '',
      ...scenarios.flatMap((sc) => {
        const m = example(sc.name, 'myelin');
        const g = example(sc.name, 'nats-server');
        return [
          `- **${sc.name}** (${sc.counts[opts.mode]} ${sc.unit}): ${sc.describe}`,
          ...(m ? [`  - myelin: \`${m.serverCommand}\``, ...m.commands.map((c) => `    - \`${c}\``)] : []),
          ...(g ? [`  - nats-server: \`${g.serverCommand}\``, ...g.commands.map((c) => `    - \`${c}\``)] : []),
        ];
      }),
      '',
      ...(failures.length > 0
        ? ['## Failures', '', ...failures.map((f) => `- round ${f.round} ${f.scenario} on ${f.server}: ${f.error?.replace(/\n/g, ' ')}`), '']
        : []),
    ].join('\n');
    writeFileSync(`${base}.md`, `${md}\n`);
    console.log(`\nwrote ${base}.md and ${base}.json`);
  }
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:compare: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
