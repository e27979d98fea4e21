// `npm run bench`: micro-benchmarks of the data plane through the native engine, no sockets.
//
//   (a) parser + routing throughput: PUB streams with one subscriber, fed in 1, 16 and 64 KiB chunks, payloads
//       of 16 B, 128 B and 1 KiB; after every chunk the outbound bytes are taken, as the server's flush does.
//   (b) the boundary: the same 64 KiB of PUBs fed as one ingest call vs one ingest call per PUB.
//   (c) subject matching (hit / miss / churn): the Rust bench native/core/benches/sublist.rs, run with cargo.
//
// Options: --quick (0.5 s per case), --smoke (a few seconds in all, no cargo: only checks that it runs),
//          --no-cargo (skip (c)), --json FILE (also write the results as JSON).
// Run: npm run bench            (= npm run build:ts && node dist/bench/micro.js)

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { runCases, type Case, type Result } from './harness.js';
import { createEngine, type NativeEngine } from '../src/native/index.js';
import { engineOptions } from '../src/conn/engine-host.js';
import { defaultOptions } from '../src/config/options.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const quick = argv.includes('--quick');
const noCargo = argv.includes('--no-cargo') || smoke;
const jsonIdx = argv.indexOf('--json');
const jsonOut = jsonIdx >= 0 ? argv[jsonIdx + 1] : undefined;
const MAX_TIME_S = smoke ? 0.02 : quick ? 0.5 : 2;

const SUBJECT = 'bench.subject';
const CONNECT = Buffer.from('CONNECT {"verbose":false,"pedantic":false,"protocol":1,"headers":true,"no_responders":true}\r\n');

interface Fixture {
  engine: NativeEngine;
  pub: number;
  sub: number;
  ids: Uint32Array;
  /** Take every dirty connection's outbound bytes; returns how many bytes that was. */
  drain(): number;
}

function fixture(): Fixture {
  const opts = engineOptions(defaultOptions());
  opts.maxPending = 1024 * 1024 * 1024; // never a slow consumer here, whatever the drain cadence
  const engine = createEngine(opts, 12345);
  const info = Buffer.from('INFO {"server_id":"BENCH","max_payload":1048576,"proto":1,"headers":true}\r\n');
  const pub = engine.openConn(info, info);
  const sub = engine.openConn(info, info);
  engine.ingest(pub, CONNECT, CONNECT.length);
  const subscribe = Buffer.concat([CONNECT, Buffer.from(`SUB ${SUBJECT} 1\r\n`)]);
  engine.ingest(sub, subscribe, subscribe.length);
  engine.takeEvents();
  const ids = new Uint32Array(4096);
  const drain = (): number => {
    let bytes = 0;
    const n = engine.takeDirty(ids);
    for (let i = 0; i < n; i++) bytes += engine.takeOutbound(ids[i]!).length;
    return bytes;
  };
  drain();
  return { engine, pub, sub, ids, drain };
}

/** One PUB op with a payload of `size` bytes. */
function pubOp(size: number): Buffer {
  return Buffer.concat([Buffer.from(`PUB ${SUBJECT} ${size}\r\n`), Buffer.alloc(size, 0x61), Buffer.from('\r\n')]);
}

/** Whole PUB ops, at least `minBytes` in all. */
function pubStream(size: number, minBytes: number): { stream: Buffer; msgs: number } {
  const op = pubOp(size);
  const msgs = Math.ceil(minBytes / op.length);
  return { stream: Buffer.concat(Array.from({ length: msgs }, () => op)), msgs };
}

function split(buf: Buffer, chunk: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length; off += chunk) out.push(buf.subarray(off, Math.min(buf.length, off + chunk)));
  return out;
}

/** Feed the chunks, taking outbound after each; verify once that every message reached the subscriber. */
function throughputCase(size: number, chunkKiB: number): Case {
  const f = fixture();
  const { stream, msgs } = pubStream(size, 1024 * 1024);
  const chunks = split(stream, chunkKiB * 1024);
  const run = (): number => {
    let out = 0;
    for (const c of chunks) {
      f.engine.ingest(f.pub, c, c.length);
      out += f.drain();
    }
    return out;
  };
  const expectOut = msgs * (`MSG ${SUBJECT} 1 ${size}\r\n`.length + size + 2);
  const got = run();
  if (got !== expectOut) throw new Error(`throughput ${size} B / ${chunkKiB} KiB: expected ${expectOut} outbound bytes, got ${got}`);
  return { name: `ingest ${chunkKiB} KiB chunks, ${size} B payload`, fn: run, per: { bytes: stream.length, msgs } };
}

/** The same 64 KiB of PUBs as one call, or one call per PUB. */
function boundaryCases(size: number): Case[] {
  const op = pubOp(size);
  const n = Math.floor((64 * 1024) / op.length);
  const stream = Buffer.concat(Array.from({ length: n }, () => op));
  const ops = split(stream, op.length);
  const one = fixture();
  const each = fixture();
  return [
    {
      name: `boundary ${size} B: 1 ingest per 64 KiB`,
      fn: () => {
        one.engine.ingest(one.pub, stream, stream.length);
        one.drain();
      },
      per: { bytes: stream.length, msgs: n, calls: 1 },
    },
    {
      name: `boundary ${size} B: 1 ingest per PUB`,
      fn: () => {
        for (let i = 0; i < ops.length; i++) each.engine.ingest(each.pub, ops[i]!, ops[i]!.length);
        each.drain();
      },
      per: { bytes: stream.length, msgs: n, calls: n },
    },
  ];
}

function fmtRate(v: number, unit: string): string {
  const steps: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [d, p] of steps) if (v >= d) return `${(v / d).toFixed(2)} ${p}${unit}`;
  return `${v.toFixed(1)} ${unit}`;
}

function fmtBytes(v: number): string {
  const steps: [number, string][] = [[2 ** 30, 'GiB/s'], [2 ** 20, 'MiB/s'], [2 ** 10, 'KiB/s']];
  for (const [d, p] of steps) if (v >= d) return `${(v / d).toFixed(1)} ${p}`;
  return `${v.toFixed(0)} B/s`;
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(rows[0]!), w.map((x) => '-'.repeat(x)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function main(): number {
  const t0 = Date.now();
  console.log(`myelin micro-benchmarks (node ${process.version}, ~${MAX_TIME_S} s per case)\n`);

  const tp: Case[] = [];
  for (const size of [16, 128, 1024]) for (const kib of [1, 16, 64]) tp.push(throughputCase(size, kib));
  const tpRes = runCases(tp, MAX_TIME_S);
  console.log('(a) parse + route + take outbound, 1 publisher → 1 subscriber');
  console.log(
    table([
      ['case', 'bytes/s', 'msgs/s', 'ns/msg', '±%', 'samples'],
      ...tpRes.map((r) => [
        r.name,
        fmtBytes(r.hz * r.per.bytes!),
        fmtRate(r.hz * r.per.msgs!, 'msg/s'),
        (1e9 / (r.hz * r.per.msgs!)).toFixed(1),
        r.rme.toFixed(1),
        String(r.samples),
      ]),
    ]),
  );

  const bRes: Result[] = runCases([...boundaryCases(16), ...boundaryCases(128)], MAX_TIME_S);
  console.log('\n(b) boundary calls: same 64 KiB of PUBs, one ingest vs one ingest per message');
  const rows = [['case', 'msgs/s', 'ns/msg', 'calls/64KiB', '±%']];
  for (const r of bRes) {
    rows.push([r.name, fmtRate(r.hz * r.per.msgs!, 'msg/s'), (1e9 / (r.hz * r.per.msgs!)).toFixed(1), String(r.per.calls), r.rme.toFixed(1)]);
  }
  console.log(table(rows));
  const ratios: Record<string, number> = {};
  for (let i = 0; i + 1 < bRes.length; i += 2) {
    const [one, each] = [bRes[i]!, bRes[i + 1]!];
    const perCallNs = (1e9 / each.hz - 1e9 / one.hz) / (each.per.calls! - 1);
    ratios[one.name] = one.hz / each.hz;
    console.log(
      `  ${one.name.replace(': 1 ingest per 64 KiB', '')}: one call per chunk is ${(one.hz / each.hz).toFixed(1)}× faster; ` +
        `each extra boundary call costs ≈ ${perCallNs.toFixed(0)} ns`,
    );
  }

  let cargoOk = true;
  let cargoOut = '';
  if (!noCargo) {
    console.log('\n(c) subject matching: cargo bench --bench sublist (native/core/benches/sublist.rs)');
    const r = spawnSync('cargo', ['bench', '--bench', 'sublist', '--manifest-path', 'native/Cargo.toml'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 300_000,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024,
    });
    cargoOut = r.stdout ?? '';
    cargoOk = r.status === 0;
    process.stdout.write(cargoOut);
    if (!cargoOk) {
      process.stdout.write(r.stderr ?? '');
      console.log(`cargo bench failed (${r.error ? r.error.message : `exit ${r.status} signal ${r.signal}`})`);
    }
  }
  console.log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (jsonOut) {
    writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), node: process.version, throughput: tpRes, boundary: bRes, boundaryRatios: ratios, sublist: cargoOut }, null, 2));
  }
  return cargoOk ? 0 : 1;
}

process.exitCode = main();
