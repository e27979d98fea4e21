// Per-message TTL (the `Nats-TTL` publish header, stream option `allow_msg_ttl`) and subject delete markers
// (`subject_delete_marker_ttl`), as nats-server 2.11+ does them (server/stream.go: checkStreamCfg,
// processJetStreamMsg; server/memstore.go and filestore.go: expireMsgs, handleRemovalOrSdm).
//
// The header is read natively (native/store/src/ttl.rs, `msgTtl`), the one reader the stores also use to
// index expiry times, so the publish checks and the expiry agree. Expiry runs on the service tick:
// `NativeStore.expireDue` removes what max_age or a TTL made due and hands back each subject's last message
// when markers are on; that one is replaced by a marker published through the stream (with a subject rollup,
// which removes it), as nats-server does.

import { msgTtl } from '../native/index.js';
import type { StreamConfig } from './defaults.js';
import { fail } from './errors.js';
import type { Stream } from './stream.js';
import { appendHeaders, headerBlock, stripHeaders } from './wire.js';

const NS_PER_S = 1_000_000_000;
/** `msgTtl` results besides seconds. */
const TTL_NONE = 0;
const TTL_INVALID = -2;
const EMPTY = Buffer.alloc(0);
const TTL_NAME = new Set(['nats-ttl']);
/** The header key as nats-server matches it (case-sensitive). */
const TTL_KEY = Buffer.from('Nats-TTL');

/**
 * Stream config: `subject_delete_marker_ttl` (nanoseconds, at least 1s) turns `allow_msg_ttl` and
 * `allow_rollup_hdrs` on (and `deny_purge` off), or with `pedantic` refuses a config that lacks them.
 */
export function normalizeTtlConfig(cfg: StreamConfig, pedantic: boolean): void {
  const sdm = cfg.subject_delete_marker_ttl;
  if (typeof sdm !== 'number' || sdm === 0) {
    delete cfg.subject_delete_marker_ttl;
    return;
  }
  if (sdm < 0) fail('StreamInvalidConfig', { err: 'subject delete marker TTL must not be negative' });
  if (sdm < NS_PER_S) fail('StreamInvalidConfig', { err: 'subject delete marker TTL must be at least 1 second' });
  if (!cfg.allow_msg_ttl) {
    if (pedantic) fail('StreamInvalidConfig', { err: 'subject delete marker cannot be set if message TTLs are disabled' });
    cfg.allow_msg_ttl = true;
  }
  if (!cfg.allow_rollup_hdrs) {
    if (pedantic) fail('StreamInvalidConfig', { err: 'subject delete marker cannot be set if roll-ups are disabled' });
    cfg.allow_rollup_hdrs = true;
    cfg.deny_purge = false;
  }
  if (cfg.mirror !== undefined && cfg.mirror !== null) {
    fail('StreamInvalidConfig', { err: 'subject delete markers forbidden on mirrors' });
  }
}

/** Stream update: per-message TTLs, once allowed, stay allowed. */
export function checkTtlUpdate(old: StreamConfig, cfg: StreamConfig): void {
  if (old.allow_msg_ttl && !cfg.allow_msg_ttl) {
    fail('StreamInvalidConfig', { err: 'message TTL status can not be disabled' });
  }
}

/**
 * The `Nats-TTL` a publish carries: seconds, 0 none, -1 never, -2 bad. Blocks without the key (nearly all)
 * are told apart by a byte search, without crossing into native code.
 */
export function publishTtl(hdr: Buffer | undefined): number {
  return hdr === undefined || hdr.indexOf(TTL_KEY) < 0 ? TTL_NONE : msgTtl(hdr);
}

/** Early in the publish checks (after `Nats-Expected-Stream`): a valid TTL on a stream that does not allow them. */
export function checkTtlAllowed(cfg: StreamConfig, ttl: number): void {
  if (ttl !== TTL_NONE && ttl !== TTL_INVALID && !cfg.allow_msg_ttl) fail('MessageTTLDisabled');
}

/**
 * Last of the publish checks: an unreadable TTL is refused; with delete markers on, a TTL shorter than the
 * markers' is raised to it (header rewritten in seconds), so a subject's marker cannot outlive a newer message.
 * Returns the header block to store.
 */
export function applyTtl(cfg: StreamConfig, hdr: Buffer | undefined, ttl: number): Buffer | undefined {
  if (ttl === TTL_INVALID) fail('MessageTTLInvalid');
  const sdm = cfg.subject_delete_marker_ttl;
  if (ttl <= 0 || typeof sdm !== 'number' || sdm <= 0 || cfg.max_msgs_per_subject === 1) return hdr;
  const min = Math.trunc(sdm / NS_PER_S);
  if (hdr === undefined || ttl >= min) return hdr;
  return appendHeaders(stripHeaders(hdr, TTL_NAME), [['Nats-TTL', min]]);
}

/**
 * Service tick: expire the stream's messages (max_age and per-message TTLs) and place a delete marker for
 * each subject whose last message expired. Returns whether anything changed.
 */
export function expireStream(s: Stream, nowNs: bigint): boolean {
  const cfg = s.config;
  if (cfg.max_age <= 0 && !cfg.allow_msg_ttl) return false;
  const e = s.store.expireDue(nowNs);
  const sdm = cfg.subject_delete_marker_ttl;
  if (e.awaitMarker.length === 0 || typeof sdm !== 'number') return e.removed > 0;
  const hdr = markerHeader(Math.trunc(sdm / NS_PER_S));
  for (const seq of e.awaitMarker) {
    const m = s.store.load(seq);
    if (m !== null) s.onPublish(m.subject, '', hdr, EMPTY);
  }
  return true;
}

/** The marker nats-server stores when max_age or a TTL removes a subject's last message. */
function markerHeader(ttlSecs: number): Buffer {
  return headerBlock('', [
    ['Nats-Marker-Reason', 'MaxAge'],
    ['Nats-TTL', goDuration(ttlSecs)],
    ['Nats-Rollup', 'sub'],
  ]);
}

/** Whole seconds as Go's time.Duration prints them: `45s`, `1m0s`, `2h0m5s`. */
export function goDuration(secs: number): string {
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
