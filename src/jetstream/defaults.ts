// Stream and consumer configuration as nats-server fills it in. An idempotent create succeeds only when the
// config a client sends, once these defaults are applied, equals the stored one, so every default here is
// nats-server's (server/stream.go checkStreamCfg, server/consumer.go setConsumerConfigDefaults).

import { fail } from './errors.js';
import { checkRepublish } from './republish.js';
import { hasUpstreams, normalizeUpstreams } from './upstream-config.js';
import { consumerRequiredLevel, setStaticMetadata, streamRequiredLevel } from './versioning.js';
import { normalizeTtlConfig } from './ttl.js';
import { checkInputTransform } from './input-transform.js';
import { checkPersistModeJson, normalizeLevel2 } from './level2-config.js';

/** nats-server's JSON for a stream config; unknown fields are kept and echoed back. */
export type StreamConfig = Record<string, unknown> & {
  name: string;
  subjects: string[];
  retention: 'limits' | 'interest' | 'workqueue';
  max_consumers: number;
  max_msgs: number;
  max_bytes: number;
  max_age: number;
  max_msgs_per_subject: number;
  max_msg_size: number;
  discard: 'old' | 'new';
  storage: 'file' | 'memory';
  num_replicas: number;
  duplicate_window: number;
  allow_rollup_hdrs: boolean;
  deny_delete: boolean;
  deny_purge: boolean;
  allow_direct: boolean;
  discard_new_per_subject?: boolean;
  no_ack?: boolean;
  sealed: boolean;
  /** Level 2 (level2-config.ts): present only when set, as nats-server echoes them. */
  allow_msg_counter?: boolean;
  allow_atomic?: boolean;
  allow_msg_schedules?: boolean;
  persist_mode?: 'async';
};

export type ConsumerConfig = Record<string, unknown> & {
  name?: string;
  durable_name?: string;
  deliver_policy: string;
  opt_start_seq?: number;
  opt_start_time?: string;
  ack_policy: 'none' | 'all' | 'explicit';
  ack_wait: number;
  max_deliver: number;
  backoff?: number[];
  filter_subject?: string;
  filter_subjects?: string[];
  replay_policy: string;
  max_waiting?: number;
  max_ack_pending?: number;
  deliver_subject?: string;
  deliver_group?: string;
  flow_control?: boolean;
  idle_heartbeat?: number;
  headers_only?: boolean;
  inactive_threshold?: number;
  max_batch?: number;
  max_bytes?: number;
  max_expires?: number;
  num_replicas: number;
  mem_storage?: boolean;
};

const NS = 1_000_000;
const DEFAULT_DUPLICATE_WINDOW = 120_000 * NS;
export const DEFAULT_ACK_WAIT = 30_000 * NS;
export const DEFAULT_MAX_ACK_PENDING = 1000;
export const DEFAULT_MAX_WAITING = 512;
/** Ephemeral consumers go away after this long without interest, unless told otherwise. */
export const DEFAULT_INACTIVE_THRESHOLD = 5_000 * NS;

const STREAM_NAME_BAD = /[.*>\s/\\]/;

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' && v !== 0 ? v : dflt;
}

/** Fill a stream config's defaults and validate it. `max_payload` bounds max_msg_size. */
export function normalizeStreamConfig(raw: Record<string, unknown>, maxPayload: number): StreamConfig {
  checkPersistModeJson(raw);
  const name = typeof raw.name === 'string' ? raw.name : '';
  if (name === '') fail('StreamInvalidConfig', { err: 'stream name is required' });
  if (STREAM_NAME_BAD.test(name)) fail('StreamInvalidConfig', { err: 'stream name can not contain whitespace, ".", "*", ">", path separators (forward or backward slash), and non-printable characters' });
  const cfg: StreamConfig = {
    ...raw,
    name,
    // A mirror or a stream with sources needs no subjects of its own.
    subjects: Array.isArray(raw.subjects) && raw.subjects.length > 0 ? (raw.subjects as string[]) : hasUpstreams(raw) ? [] : [name],
    retention: (raw.retention as StreamConfig['retention']) ?? 'limits',
    max_consumers: num(raw.max_consumers, -1),
    max_msgs: num(raw.max_msgs, -1),
    max_bytes: num(raw.max_bytes, -1),
    max_age: num(raw.max_age, 0),
    max_msgs_per_subject: num(raw.max_msgs_per_subject, -1),
    max_msg_size: num(raw.max_msg_size, -1),
    discard: (raw.discard as StreamConfig['discard']) ?? 'old',
    storage: (raw.storage as StreamConfig['storage']) ?? 'file',
    num_replicas: num(raw.num_replicas, 1),
    duplicate_window: 0,
    compression: raw.compression ?? 'none',
    allow_direct: raw.allow_direct === true,
    mirror_direct: raw.mirror_direct === true,
    sealed: raw.sealed === true,
    deny_delete: raw.deny_delete === true,
    deny_purge: raw.deny_purge === true,
    allow_rollup_hdrs: raw.allow_rollup_hdrs === true,
    consumer_limits: raw.consumer_limits ?? {},
    allow_msg_ttl: raw.allow_msg_ttl === true,
  };
  const window = typeof raw.duplicate_window === 'number' ? raw.duplicate_window : 0;
  cfg.duplicate_window =
    window > 0
      ? cfg.max_age > 0 && window > cfg.max_age
        ? fail('StreamInvalidConfig', { err: 'duplicates window can not be larger then max age' })
        : window
      : cfg.max_age > 0
        ? Math.min(cfg.max_age, DEFAULT_DUPLICATE_WINDOW)
        : DEFAULT_DUPLICATE_WINDOW;
  if (!['limits', 'interest', 'workqueue'].includes(cfg.retention)) fail('StreamInvalidConfig', { err: 'invalid retention' });
  if (cfg.storage !== 'file' && cfg.storage !== 'memory') fail('StreamInvalidConfig', { err: 'invalid storage type' });
  if (cfg.max_msg_size > maxPayload) fail('StreamInvalidConfig', { err: 'max message size larger than max payload' });
  normalizeTtlConfig(cfg, raw.pedantic === true);
  delete cfg.pedantic; // an option of the create/update request (nats-server's StreamConfigRequest), not config
  normalizeLevel2(cfg);
  checkInputTransform(cfg);
  normalizeUpstreams(raw, cfg);
  checkRepublish(cfg);
  if (cfg.num_replicas > 1) fail('StreamInvalidConfig', { err: 'replicas > 1 not supported in non-clustered mode' });
  for (const key of ['description', 'discard_new_per_subject', 'no_ack', 'metadata'] as const) {
    if (cfg[key] === undefined || cfg[key] === false || cfg[key] === '') delete cfg[key];
  }
  return setStaticMetadata(cfg, streamRequiredLevel(cfg));
}

/** Fill a consumer config's defaults. `durable` tells whether it outlives its interest. */
export function normalizeConsumerConfig(raw: Record<string, unknown>): ConsumerConfig {
  const cfg = { ...raw } as ConsumerConfig;
  cfg.deliver_policy = typeof raw.deliver_policy === 'string' ? raw.deliver_policy : 'all';
  cfg.ack_policy = (raw.ack_policy as ConsumerConfig['ack_policy']) ?? 'none';
  cfg.replay_policy = typeof raw.replay_policy === 'string' ? raw.replay_policy : 'instant';
  cfg.max_deliver = num(raw.max_deliver, -1);
  const backoff = Array.isArray(raw.backoff) && raw.backoff.length > 0 ? (raw.backoff as number[]) : undefined;
  if (backoff === undefined) delete cfg.backoff;
  cfg.ack_wait = backoff !== undefined ? (backoff[0] as number) : num(raw.ack_wait, DEFAULT_ACK_WAIT);
  if (backoff !== undefined && cfg.max_deliver !== -1 && cfg.max_deliver <= backoff.length) {
    fail('ConsumerMaxDeliverBackoff');
  }
  const push = typeof raw.deliver_subject === 'string' && raw.deliver_subject !== '';
  if (!push) {
    delete cfg.deliver_subject;
    cfg.max_waiting = num(raw.max_waiting, DEFAULT_MAX_WAITING);
  } else if (typeof raw.max_waiting === 'number' && raw.max_waiting !== 0) {
    fail('ConsumerPushMaxWaiting');
  }
  if (cfg.ack_policy !== 'none') cfg.max_ack_pending = num(raw.max_ack_pending, DEFAULT_MAX_ACK_PENDING);
  const durable = typeof raw.durable_name === 'string' && raw.durable_name !== '';
  if (!durable) {
    delete cfg.durable_name;
    cfg.inactive_threshold = num(raw.inactive_threshold, DEFAULT_INACTIVE_THRESHOLD);
  }
  cfg.num_replicas = num(raw.num_replicas, 0);
  if (cfg.flow_control === true && !(typeof cfg.idle_heartbeat === 'number' && cfg.idle_heartbeat > 0)) {
    fail('ConsumerWithFlowControlNeedsHeartbeats');
  }
  if (typeof cfg.idle_heartbeat === 'number' && cfg.idle_heartbeat > 0 && cfg.idle_heartbeat < 100 * NS) {
    fail('ConsumerSmallHeartbeat');
  }
  if (cfg.filter_subject !== undefined && cfg.filter_subject !== '' && (cfg.filter_subjects?.length ?? 0) > 0) {
    fail('ConsumerDuplicateFilterSubjects');
  }
  for (const key of ['filter_subject', 'filter_subjects', 'flow_control', 'headers_only', 'idle_heartbeat', 'deliver_group', 'metadata', 'description', 'mem_storage'] as const) {
    const v = cfg[key];
    if (v === undefined || v === false || v === '' || v === 0 || (Array.isArray(v) && v.length === 0)) delete cfg[key];
  }
  return setStaticMetadata(cfg, consumerRequiredLevel(cfg));
}

/** Compare two configs as JSON values, ignoring key order. */
export function sameConfig(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
