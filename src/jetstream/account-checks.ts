// Enforcing an account's JetStream limits (account-limits.ts) as a single nats-server does: streams and their
// byte reservations at stream create/update (jetstream_api.go jsNonClusteredStreamLimitsCheck, jetstream.go
// checkLimits/checkBytesLimits, stream.go checkStreamCfg and configUpdateCheck), consumers per stream and
// max_ack_pending at consumer create (consumer.go), stored bytes at publish (jsAccount.wouldExceedLimits).

import type { AccountLimits } from './account-limits.js';
import { DEFAULT_MAX_ACK_PENDING, type StreamConfig } from './defaults.js';
import { fail } from './errors.js';

type Storage = 'file' | 'memory';

/** What the checks read of the account's service. */
export interface AccountView {
  readonly limits: AccountLimits;
  readonly streams: ReadonlyMap<string, { readonly name: string; readonly config: StreamConfig }>;
}

/** The account's byte limit for a storage type (-1: none). */
export function accountStorageLimit(limits: AccountLimits, storage: Storage): number {
  return storage === 'memory' ? limits.max_memory : limits.max_storage;
}

/** Bytes the account's other streams of that storage type reserve with their `max_bytes` (tieredReservation). */
export function reservation(acc: AccountView, storage: Storage, except: string): number {
  let n = 0;
  for (const s of acc.streams.values()) {
    if (s.name !== except && s.config.storage === storage && s.config.max_bytes > 0) n += s.config.max_bytes;
  }
  return n;
}

/** Bytes reserved per storage type by every stream (`reserved_memory` / `reserved_storage` in account info). */
export function reserved(acc: AccountView): { memory: number; storage: number } {
  return { memory: reservation(acc, 'memory', ''), storage: reservation(acc, 'file', '') };
}

/**
 * checkLimits: a stream's own `max_consumers` may not exceed the account's, and `addBytes` (its max_bytes, or
 * what an update adds to it) must fit in what the other streams leave of the account's bytes.
 */
function checkLimits(acc: AccountView, name: string, storage: Storage, maxConsumers: number, addBytes: number, extra = 0): void {
  const l = acc.limits;
  if (maxConsumers > 0 && l.max_consumers > 0 && maxConsumers > l.max_consumers) fail('MaximumConsumersLimit');
  const limit = accountStorageLimit(l, storage);
  if (limit < 0) return;
  const res = reservation(acc, storage, name) + extra;
  const add = addBytes < 0 ? 1 : addBytes;
  if (res > limit || add > limit - res) fail(storage === 'memory' ? 'MemoryResourcesExceeded' : 'StorageResourcesExceeded');
}

/**
 * Before a create's config is filled in (nats-server checks the request as sent): the stream count, not counting
 * a stream of the same name, then `max_consumers` and `max_bytes` as sent (absent is 0).
 */
export function checkStreamRequest(acc: AccountView, raw: Record<string, unknown>, name: string): void {
  const l = acc.limits;
  if (l.max_streams > 0) {
    let others = 0;
    for (const s of acc.streams.values()) if (s.name !== name) others++;
    if (others >= l.max_streams) fail('MaximumStreamsLimit');
  }
  const storage: Storage = raw.storage === 'memory' ? 'memory' : 'file';
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  checkLimits(acc, name, storage, num(raw.max_consumers), num(raw.max_bytes));
}

/** checkStreamCfg's part: `max_bytes_required` and the per-stream byte cap of the storage type. */
export function checkStreamBytes(acc: AccountView, cfg: StreamConfig): void {
  const l = acc.limits;
  const cap = cfg.storage === 'memory' ? l.memory_max_stream_bytes : l.storage_max_stream_bytes;
  if (l.max_bytes_required && cfg.max_bytes <= 0) fail('StreamMaxBytesRequired');
  if (cap > 0 && cfg.max_bytes > cap) fail('StreamMaxStreamBytesExceeded');
}

/** A new stream's filled-in config, after the idempotency check. */
export function checkStreamCreate(acc: AccountView, cfg: StreamConfig): void {
  checkLimits(acc, cfg.name, cfg.storage, cfg.max_consumers, cfg.max_bytes);
}

/** An update reserves only what it adds to the stream's old `max_bytes` (configUpdateCheck). */
export function checkStreamUpdate(acc: AccountView, old: StreamConfig, cfg: StreamConfig): void {
  const diff = Math.max(Math.max(cfg.max_bytes, 0) - Math.max(old.max_bytes, 0), 0);
  const kept = Math.max(cfg.max_bytes - diff, 0);
  checkLimits(acc, cfg.name, cfg.storage, cfg.max_consumers, diff, kept);
}

/** A consumer config as sent: explicit/all acks without `max_ack_pending` get the default, lowered to the account's. */
export function defaultMaxAckPending(limits: AccountLimits, raw: Record<string, unknown>): void {
  const acks = raw.ack_policy === 'explicit' || raw.ack_policy === 'all';
  if (!acks || (typeof raw.max_ack_pending === 'number' && raw.max_ack_pending !== 0)) return;
  if (limits.max_ack_pending > 0 && limits.max_ack_pending < DEFAULT_MAX_ACK_PENDING) raw.max_ack_pending = limits.max_ack_pending;
}

export function checkMaxAckPending(limits: AccountLimits, maxAckPending: number | undefined): void {
  if (limits.max_ack_pending > 0 && (maxAckPending ?? 0) > limits.max_ack_pending) {
    fail('ConsumerMaxPendingAckExcess', { limit: limits.max_ack_pending });
  }
}

/** The consumer count a stream may reach: its own `max_consumers`, or the account's when that is lower or the only one. */
export function maxConsumers(limits: AccountLimits, stream: StreamConfig): number {
  const own = stream.max_consumers;
  return own <= 0 || (limits.max_consumers > 0 && limits.max_consumers < own) ? limits.max_consumers : own;
}
