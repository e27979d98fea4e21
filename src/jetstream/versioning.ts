// Asset versioning metadata, as nats-server 2.11+ keeps it (server/jetstream_versioning.go). A stream's or
// consumer's stored `metadata` carries `_nats.req.level`: the JetStream API level its config needs (0 unless
// it uses a feature of a later level), so a server that cannot honour it can refuse to load it. Responses add
// `_nats.ver` (the server version) and `_nats.level` (the server's API level) to a copy of the config; those
// two are never stored, and a client that sends them back has them dropped.

import { API_LEVEL } from './api-level.js';
import type { ConsumerConfig, StreamConfig } from './defaults.js';
import { NATS_SERVER_LEVEL } from '../version.js';

const REQUIRED_LEVEL = '_nats.req.level';
const SERVER_LEVEL = '_nats.level';
const SERVER_VERSION = '_nats.ver';

type Metadata = Record<string, string>;

function stored(metadata: unknown): Metadata {
  const m = metadata !== null && typeof metadata === 'object' ? { ...(metadata as Metadata) } : {};
  delete m[SERVER_LEVEL];
  delete m[SERVER_VERSION];
  return m;
}

/** The API level a stream config needs: 1 for TTLs (2.11), 2 for counters, atomic batches, schedules, async persist (2.12). */
export function streamRequiredLevel(cfg: StreamConfig): number {
  let level = 0;
  if (cfg.allow_msg_ttl === true || (typeof cfg.subject_delete_marker_ttl === 'number' && cfg.subject_delete_marker_ttl > 0)) {
    level = 1;
  }
  if (cfg.allow_msg_counter === true || cfg.allow_atomic === true || cfg.allow_msg_schedules === true || cfg.persist_mode === 'async') {
    level = 2;
  }
  return level;
}

/** The API level a consumer config needs: 1 for pause (a non-zero `pause_until`) and priority groups (2.11). */
export function consumerRequiredLevel(cfg: ConsumerConfig): number {
  const pause = typeof cfg.pause_until === 'string' && cfg.pause_until !== '' && !cfg.pause_until.startsWith('0001-01-01');
  const policy = typeof cfg.priority_policy === 'string' && cfg.priority_policy !== '' && cfg.priority_policy !== 'none';
  const pinnedTtl = typeof cfg.priority_timeout === 'number' && cfg.priority_timeout !== 0;
  const groups = Array.isArray(cfg.priority_groups) && cfg.priority_groups.length > 0;
  return pause || policy || pinnedTtl || groups ? 1 : 0;
}

/** Set the stored versioning field of a (filled-in) config, dropping the response-only ones. */
export function setStaticMetadata<T extends Record<string, unknown>>(cfg: T, level: number): T {
  const metadata = stored(cfg.metadata);
  metadata[REQUIRED_LEVEL] = String(level);
  return { ...cfg, metadata };
}

/** A copy of a config for a response, with the server's version and API level added to its metadata. */
export function withDynamicMetadata<T extends Record<string, unknown>>(cfg: T): T {
  const metadata = stored(cfg.metadata);
  metadata[SERVER_VERSION] = NATS_SERVER_LEVEL;
  metadata[SERVER_LEVEL] = String(API_LEVEL);
  return { ...cfg, metadata };
}
