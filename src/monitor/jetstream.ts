// JetStream as monitoring reports it, with nats-server's field names, order and types for a single server
// (no meta cluster, so no raft groups, `meta_cluster` or HA assets): /jsz with its options, the `jetstream`
// block of /varz and of statsz. JetStream runs on the main thread, so this reads the services directly;
// nothing here is counted per message (the API counters are the router's, the usage is the stores' own).

import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { totalmem } from 'node:os';

import type { Options } from '../config/options.js';
import { API_LEVEL } from '../jetstream/api-level.js';
import type { JetStreamService } from '../jetstream/service.js';
import { storeRoot } from '../jetstream/start.js';
import type { MonitorSource } from './collect.js';
import { decodeBool, decodeInt, goTime, QueryError } from './go-format.js';

/** What monitoring reads from JetStream: its configuration, fixed at startup, and one service per account. */
export interface JetStreamView {
  /** nats-server's JetStreamConfig JSON. */
  readonly config: Record<string, unknown>;
  readonly services: readonly JetStreamService[];
}

/**
 * A request this server does not answer (nats-server's errSkipZreq: `leader-only` where there is no leader):
 * over HTTP it is a 400 with this text, over the system account no answer at all.
 */
export class SkipAnswer extends QueryError {
  override name = 'SkipAnswer';
}

/** nats-server's default /jsz page of accounts. */
const DEFAULT_LIMIT = 1024;
const NS_PER_MS = 1_000_000;

/**
 * The configuration as nats-server reports it. Without `max_memory_store`/`max_file_store` nats-server
 * reports, fixed at startup, 75% of the machine's memory and 75% of the store directory's free disk space;
 * Myelin reports the same estimates (it enforces only configured limits). `sync_always` stands for Myelin's
 * default too: an acknowledged message has been synced (group commit) as with nats-server's `sync: always`.
 * `strict` and `compress_ok` are left out: Myelin neither rejects unknown API fields nor compresses stores.
 */
export function jetStreamConfig(options: Options): Record<string, unknown> {
  const root = storeRoot(options);
  const storeDir = join(root, 'jetstream');
  const cfg: Record<string, unknown> = {
    max_memory: options.maxMemoryStore >= 0 ? options.maxMemoryStore : Math.floor(totalmem() / 4) * 3,
    max_storage: options.maxFileStore >= 0 ? options.maxFileStore : diskAvailable(root),
    store_dir: storeDir,
  };
  if (options.syncInterval > 0) cfg.sync_interval = options.syncInterval * NS_PER_MS;
  else cfg.sync_always = true;
  return cfg;
}

/** 75% of the free space where the store lives, or nats-server's 1 TB guess when that cannot be read. */
function diskAvailable(dir: string): number {
  try {
    const fs = statfsSync(dir);
    return Math.floor((fs.bavail * fs.bsize) / 4) * 3;
  } catch {
    return 1024 * 1024 * 1024 * 1024;
  }
}

interface Usage {
  memory: number;
  storage: number;
}

const NO_RESERVATION: Usage = { memory: 0, storage: 0 };

/**
 * An account detail's `reserved_*` is its byte limit, as nats-server reports it; an unlimited (-1) one, which
 * nats-server prints as an unsigned 18446744073709551615, is 0 here.
 */
function accountReservation(svc: JetStreamService): Usage {
  return { memory: Math.max(svc.limits.max_memory, 0), storage: Math.max(svc.limits.max_storage, 0) };
}

function usageOf(svc: JetStreamService): Usage {
  return { memory: svc.usage('memory'), storage: svc.usage('file') };
}

/**
 * nats-server's JetStreamStats: server-wide, or for one account (where nats-server fills only the usage and
 * the API total and errors, so `accounts` and the API level are 0).
 */
function statsJson(u: Usage, accounts: number, level: number, total: number, errors: number, reserved = NO_RESERVATION): Record<string, unknown> {
  return {
    memory: u.memory,
    storage: u.storage,
    reserved_memory: reserved.memory,
    reserved_storage: reserved.storage,
    accounts,
    ha_assets: 0,
    // API requests are handled synchronously, so none is ever in flight (`inflight` is omitted when 0).
    api: { level, total, errors },
  };
}

/** The server-wide stats: /jsz's head, /varz and statsz `jetstream.stats`. */
export function jetStreamStats(js: JetStreamView): Record<string, unknown> {
  const u: Usage = { memory: 0, storage: 0 };
  let total = 0;
  let errors = 0;
  for (const svc of js.services) {
    const a = usageOf(svc);
    u.memory += a.memory;
    u.storage += a.storage;
    total += svc.api.total;
    errors += svc.api.errors;
  }
  return statsJson(u, js.services.length, API_LEVEL, total, errors);
}

/** /varz `jetstream`: `{}` when JetStream is off; `config`, `stats` and the (empty) limits when on. */
export function jetStreamVarz(source: MonitorSource): Record<string, unknown> {
  const js = source.jetStream;
  if (js === undefined) return {};
  return { config: { ...js.config }, stats: jetStreamStats(js), limits: {} };
}

/** statsz `jetstream`, as nats-server sends it: the config without the store directory, and the stats. */
export function jetStreamStatsz(source: MonitorSource): Record<string, unknown> | undefined {
  const js = source.jetStream;
  if (js === undefined) return undefined;
  const config = { ...js.config };
  delete config.store_dir;
  return { config, stats: jetStreamStats(js) };
}

/** /jsz options in the order nats-server decodes them (the first bad one is the 400). */
interface JszOptions {
  acc: string;
  accounts: boolean;
  streams: boolean;
  consumers: boolean;
  config: boolean;
  offset: number;
  limit: number;
  leaderOnly: boolean;
  raft: boolean;
}

function jszOptions(q: URLSearchParams): JszOptions {
  const accounts = decodeBool(q, 'accounts');
  const streams = decodeBool(q, 'streams');
  const consumers = decodeBool(q, 'consumers');
  decodeBool(q, 'direct-consumers'); // Myelin has no direct (internal) consumers to list
  const config = decodeBool(q, 'config');
  const offset = decodeInt(q, 'offset');
  const limit = decodeInt(q, 'limit');
  const leaderOnly = decodeBool(q, 'leader-only');
  const raft = decodeBool(q, 'raft');
  decodeBool(q, 'stream-leader-only'); // a single server leads every stream
  return { acc: q.get('acc') ?? '', accounts, streams, consumers, config, offset, limit, leaderOnly, raft };
}

/** /jsz (and the system account's JSZ). */
export function jsz(source: MonitorSource, query: URLSearchParams): Record<string, unknown> {
  const o = jszOptions(query);
  if (o.offset < 0) o.offset = 0;
  if (o.limit === 0) o.limit = DEFAULT_LIMIT;
  if (o.consumers) o.streams = true;
  if (o.streams && o.acc === '') o.accounts = true;
  const js = source.jetStream;
  const head = { server_id: source.identity.serverId, now: goTime(Date.now()) };
  if (js === undefined) {
    // nats-server skips the answer; over HTTP that error is the 400's text.
    if (o.leaderOnly) throw new SkipAnswer('filtered response: not leader');
    const none = statsJson({ memory: 0, storage: 0 }, 0, 0, 0, 0);
    return { ...none, ...head, disabled: true, config: { max_memory: 0, max_storage: 0 }, streams: 0, consumers: 0, messages: 0, bytes: 0, total: 0 };
  }
  let streams = 0;
  let consumers = 0;
  let messages = 0;
  let bytes = 0;
  for (const svc of js.services) {
    for (const s of svc.streams.values()) {
      const st = s.store.state();
      streams++;
      consumers += s.consumers.size;
      messages += st.msgs;
      bytes += st.bytes;
    }
  }
  const out: Record<string, unknown> = { ...jetStreamStats(js), ...head, config: { ...js.config }, limits: {}, streams };
  // Without a meta group every stream and consumer is led here.
  if (o.raft && streams > 0) out.streams_leader = streams;
  out.consumers = consumers;
  if (o.raft && consumers > 0) out.consumers_leader = consumers;
  out.messages = messages;
  out.bytes = bytes;
  let chosen: JetStreamService[] = [];
  const target = js.services.find((svc) => svc.client.account === o.acc);
  if (target !== undefined) chosen = [target];
  else if (o.accounts && o.limit > 0) {
    const sorted = [...js.services].sort((a, b) => (a.client.account < b.client.account ? -1 : a.client.account > b.client.account ? 1 : 0));
    chosen = sorted.slice(Math.min(o.offset, sorted.length)).slice(0, o.limit);
  } else if (o.accounts) chosen = [...js.services];
  if (chosen.length > 0) out.account_details = chosen.map((svc) => accountDetail(svc, o));
  out.total = js.services.length;
  return out;
}

/** `$SYS.REQ.ACCOUNT.<acc>.JSZ`: one account's detail, or nats-server's error text (answered as a 500). */
export function jszAccount(source: MonitorSource, acc: string, query: URLSearchParams): Record<string, unknown> {
  const o = jszOptions(query);
  const js = source.jetStream;
  if (js === undefined) throw new Error('jetstream not enabled');
  const svc = js.services.find((s) => s.client.account === acc);
  if (svc === undefined) {
    const known = acc === '$G' || acc === source.systemAccount || source.configuredAccounts.includes(acc);
    throw new Error(known ? `account ${JSON.stringify(acc)} not jetstream enabled` : `account ${JSON.stringify(acc)} not found`);
  }
  return accountDetail(svc, o);
}

/** nats-server's AccountDetail: the account's usage and API counters, and its streams when asked. */
function accountDetail(svc: JetStreamService, o: JszOptions): Record<string, unknown> {
  const name = svc.client.account;
  const stats = statsJson(usageOf(svc), 0, 0, svc.api.total, svc.api.errors, accountReservation(svc));
  const out: Record<string, unknown> = { name, id: name, ...stats };
  if (!o.streams || svc.streams.size === 0) return out;
  out.stream_detail = [...svc.streams.values()].map((s) => {
    const info = s.info();
    const d: Record<string, unknown> = { name: s.name, created: info.created, cluster: info.cluster };
    if (o.config) d.config = info.config;
    d.state = info.state;
    if (o.consumers && s.consumers.size > 0) {
      d.consumer_detail = [...s.consumers.values()].map((c) => {
        const ci = c.info();
        if (!o.config) delete ci.config;
        return ci;
      });
    }
    return d;
  });
  return out;
}
