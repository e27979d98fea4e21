// The files that bring streams and durable consumers back after a restart, in nats-server's layout:
//
//   <store_dir>/jetstream/<account>/streams/<stream>/meta.inf             stream config + created
//   <store_dir>/jetstream/<account>/streams/<stream>/msgs/                the file store's blocks (Rust)
//   <store_dir>/jetstream/<account>/streams/<stream>/obs/<name>/meta.inf  durable consumer config + created
//   <store_dir>/jetstream/<account>/streams/<stream>/obs/<name>/o.dat     its delivery and ack state
//
// The meta files are JSON (nats-server's meta.inf is too; its o.dat is binary, ours is JSON). Every file is
// replaced atomically (write a temporary file, fsync it, rename it over the old one), so a crash leaves
// either the old or the new version, never a torn one. o.dat is fsynced only when the server's sync policy
// asks for it (a lost consumer state means redelivery, never a lost message); an unreadable o.dat after a
// power loss restarts the consumer from its config.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import type { ConsumerConfig, StreamConfig } from './defaults.js';
import { parseTime, rfc3339 } from './wire.js';

const META = 'meta.inf';
const STATE = 'o.dat';
const CONSUMERS = 'obs';

/** A durable consumer's position, as saved in o.dat (nats-server's ConsumerState fields, plus ours). */
export interface ConsumerState {
  delivered: { consumer_seq: number; stream_seq: number };
  ack_floor: { consumer_seq: number; stream_seq: number };
  /** The next stream sequence to look at for first deliveries. */
  next_seq: number;
  /** deliver_policy last_per_subject: sequences still to deliver first. */
  lps?: number[];
  /** Delivered, not yet acknowledged: [stream seq, consumer seq, deliveries, redeliver-at (Unix ms)]. */
  pending: [number, number, number, number][];
  num_redelivered: number;
}

export interface SavedConsumer {
  name: string;
  created: bigint;
  config: ConsumerConfig;
  state: ConsumerState | undefined;
}

export interface SavedStream {
  config: StreamConfig;
  created: bigint;
  consumers: SavedConsumer[];
}

/** Replace `file` with `data` so that a crash leaves the old or the new content. */
export function writeAtomic(file: string, data: string, fsync = true): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, data);
    if (fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Make a folder's entries (files created or renamed in it) durable. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Config changes are rare: the folder is fsynced too, so a new stream or durable survives a power loss. */
export function saveStreamMeta(dir: string, config: StreamConfig, created: bigint): void {
  writeAtomic(join(dir, META), JSON.stringify({ ...config, created: rfc3339(created) }));
  syncDir(dir);
}

function consumerDir(streamDir: string, name: string): string {
  return join(streamDir, CONSUMERS, name);
}

export function saveConsumerMeta(streamDir: string, name: string, config: ConsumerConfig, created: bigint): void {
  const dir = consumerDir(streamDir, name);
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, META), JSON.stringify({ name, created: rfc3339(created), config }));
  syncDir(dir);
}

export function saveConsumerState(streamDir: string, name: string, state: ConsumerState, fsync: boolean): void {
  const dir = consumerDir(streamDir, name);
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, STATE), JSON.stringify(state), fsync);
}

export function removeConsumerFiles(streamDir: string, name: string): void {
  rmSync(consumerDir(streamDir, name), { recursive: true, force: true });
}

/** The consumer folders under a stream that are no longer durable consumers of it. */
export function removeStaleConsumers(streamDir: string, keep: Set<string>): void {
  const obs = join(streamDir, CONSUMERS);
  if (!existsSync(obs)) return;
  for (const name of readdirSync(obs)) if (!keep.has(name)) removeConsumerFiles(streamDir, name);
}

/** The stream folder's saved stream, or undefined when it has no meta file (a create cut short). */
export function loadStream(dir: string): SavedStream | undefined {
  const file = join(dir, META);
  if (!existsSync(file)) return undefined;
  const raw = JSON.parse(readFileSync(file, 'utf8')) as StreamConfig & { created: string };
  const { created, ...config } = raw;
  const consumers: SavedConsumer[] = [];
  const obs = join(dir, CONSUMERS);
  if (existsSync(obs)) {
    for (const name of readdirSync(obs)) {
      const cdir = join(obs, name);
      if (!existsSync(join(cdir, META))) continue;
      const meta = JSON.parse(readFileSync(join(cdir, META), 'utf8')) as { name: string; created: string; config: ConsumerConfig };
      const stateFile = join(cdir, STATE);
      const state = existsSync(stateFile) ? readState(stateFile) : undefined;
      consumers.push({ name: meta.name, created: parseTime(meta.created), config: meta.config, state });
    }
  }
  return { config: config as StreamConfig, created: parseTime(created), consumers };
}

function readState(file: string): ConsumerState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ConsumerState;
  } catch {
    return undefined; // torn by a power loss before it was fsynced: start from the config
  }
}
