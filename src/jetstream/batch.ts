// Atomic batch publish (`allow_atomic`, nats-server 2.12 / ADR-50). Publishes carrying `Nats-Batch-Id` and
// `Nats-Batch-Sequence` (1, 2, …) are staged; the one with `Nats-Batch-Commit: 1` checks every staged message
// as if each before it were stored (expected sequences, dedup, rollups, counters) and then stores them all in
// one turn of the event loop, so readers and the group commit see all or none. Staged messages get an empty
// ack, the commit `{"stream","seq","batch","count"}`; a batch that breaks a rule is dropped whole. nats-server's
// limits: 1000 messages per batch, 50 open batches per stream, 1000 per server, 10 s from a batch's first
// message to its commit (then it is abandoned, with an advisory).

import { levelServed } from './api.js';
import type { NativeStoreApi } from '../native/index.js';
import { fail, type JsErrorName } from './errors.js';
import type { Prepared } from './stream.js';
import { parseHeaders, stripHeaders, type Headers } from './wire.js';

const MAX_BATCH_SIZE = 1000;
const MAX_INFLIGHT_PER_STREAM = 50;
const MAX_INFLIGHT_TOTAL = 1000;
const BATCH_TIMEOUT_MS = 10_000;
const MAX_BATCH_ID_LEN = 64;
const API_LEVEL_HEADER = new Set(['nats-required-api-level']);

/** Open batches of every stream of this process (nats-server counts them server-wide). */
let inflightTotal = 0;

/** What the commit's checks accumulate, message by message, in place of storing them (nats-server's staged diff). */
export interface StagedDiff {
  /** Messages checked so far. */
  count: number;
  msgIds: Set<string>;
  /** Messages checked so far by subject, and their bytes as the store counts them. */
  subjects: Map<string, number>;
  bytes: number;
  /** Running counter totals by subject. */
  counters: Map<string, bigint>;
}

/** A staged message: copies, since the publish buffers are only lent for the call. */
interface Staged {
  subject: string;
  hdr: Buffer;
  body: Buffer;
  h: Headers;
}

interface OpenBatch {
  msgs: Staged[];
  timer: NodeJS.Timeout;
}

/** What batches need from their stream. */
export interface BatchHost {
  readonly name: string;
  readonly config: { allow_atomic?: boolean; max_msg_size: number; sealed: boolean };
  /** Throws unless the server's and the account's storage have room for this message (10023 / 10002). */
  checkStorage(subject: string, hdr: Buffer | undefined, body: Buffer): void;
  /** The publish checks of one message, against the stream as the staged messages before it would leave it. */
  check(subject: string, h: Headers, hdr: Buffer | undefined, body: Buffer, diff: StagedDiff): Prepared | undefined;
  /** Store a checked message; returns its sequence. */
  storePrepared(p: Prepared): number;
  /** `$JS.EVENT.ADVISORY.STREAM.BATCH_ABANDONED.<stream>` with the batch id and why. */
  batchAbandoned(batch: string, reason: 'timeout' | 'large' | 'incomplete' | 'unsupported'): void;
}

/** The limits of a discard-new stream a batch must fit in, checked before any of it is stored. */
export interface DiscardNewLimits {
  discard: 'old' | 'new';
  max_msgs: number;
  max_bytes: number;
  max_msgs_per_subject: number;
  discard_new_per_subject?: boolean;
}

/**
 * Count a checked message into the diff; with discard new, refuse it when the stream plus the batch so far
 * would pass a limit (nats-server words it as the store would). `size` is the store's byte count of it.
 */
export function stageMessage(
  diff: StagedDiff,
  store: NativeStoreApi,
  cfg: DiscardNewLimits,
  subject: string,
  size: number,
): void {
  const onSubject = (diff.subjects.get(subject) ?? 0) + 1;
  if (cfg.discard === 'new') {
    const state = store.state();
    if (cfg.max_msgs > 0 && state.msgs + diff.count + 1 > cfg.max_msgs) {
      fail('StreamStoreFailed', { err: 'maximum messages exceeded' });
    }
    if (cfg.max_bytes > 0 && state.bytes + diff.bytes + size > cfg.max_bytes) {
      fail('StreamStoreFailed', { err: 'maximum bytes exceeded' });
    }
    if (cfg.discard_new_per_subject === true && cfg.max_msgs_per_subject > 0) {
      const stored = store.subjectsState(Buffer.from(subject))[0]?.msgs ?? 0;
      if (stored + onSubject > cfg.max_msgs_per_subject) {
        fail('StreamStoreFailed', { err: 'maximum messages per subject exceeded' });
      }
    }
  }
  diff.count++;
  diff.bytes += size;
  diff.subjects.set(subject, onSubject);
}

/**
 * After a crash: a batch is stored in one synchronous run, but a process killed in the middle of it can leave
 * its first messages on disk without the commit. Nobody was acked or delivered any of them, so they are
 * removed (nats-server instead finishes such a batch from its staging files, which Myelin does not keep).
 * Returns how many messages went.
 */
export function dropPartialBatch(store: NativeStoreApi): number {
  let dropped = 0;
  let id: string | undefined;
  for (;;) {
    const m = store.loadLast(Buffer.alloc(0));
    if (m === null || m.hdr.length === 0) break;
    const h = parseHeaders(m.hdr);
    const batch = h.get('nats-batch-id');
    const uncommitted = batch !== undefined && !h.has('nats-batch-commit') && h.has('nats-batch-sequence');
    if (!uncommitted || (id !== undefined && batch !== id)) break;
    id = batch;
    store.remove(m.seq);
    dropped++;
    if (h.get('nats-batch-sequence') === '1') break;
  }
  return dropped;
}

/** The open batches of one stream. */
export class AtomicBatches {
  private readonly open = new Map<string, OpenBatch>();

  constructor(private readonly stream: BatchHost) {}

  /**
   * A publish with `Nats-Batch-Id`. Errors are thrown (the caller acks them); `ack` gets the empty ack of a
   * staged message or the commit's pub ack.
   */
  onPublish(id: string, subject: string, hdr: Buffer, body: Buffer, h: Headers, ack: (text: string) => void): void {
    const s = this.stream;
    if (s.config.sealed) fail('StreamSealed');
    s.checkStorage(subject, hdr, body);
    if (s.config.max_msg_size >= 0 && hdr.length + body.length > s.config.max_msg_size) fail('StreamMessageExceedsMaximum');
    if (s.config.allow_atomic !== true) fail('AtomicPublishDisabled');
    if (Buffer.byteLength(id) > MAX_BATCH_ID_LEN) fail('AtomicPublishInvalidBatchID');
    const seqText = h.get('nats-batch-sequence');
    if (seqText === undefined || seqText === '') fail('AtomicPublishMissingSeq');
    // nats-server reads it as an unsigned integer: anything else is out of range.
    const seq = /^\d+$/.test(seqText) ? Number(seqText) : Infinity;
    let b = this.open.get(id);
    if (b === undefined) {
      if (seq > MAX_BATCH_SIZE) fail('AtomicPublishTooLargeBatch', { size: MAX_BATCH_SIZE });
      if (seq !== 1) fail('AtomicPublishIncompleteBatch');
      if (this.open.size + 1 > MAX_INFLIGHT_PER_STREAM || inflightTotal + 1 > MAX_INFLIGHT_TOTAL) {
        fail('AtomicPublishIncompleteBatch');
      }
      b = { msgs: [], timer: setTimeout(() => this.abandon(id, 'timeout'), BATCH_TIMEOUT_MS) };
      b.timer.unref();
      this.open.set(id, b);
      inflightTotal++;
    }
    const commit = h.get('nats-batch-commit');
    if (commit !== undefined && commit !== '1') this.failBatch(id, undefined, 'AtomicPublishInvalidBatchCommit');
    let stored: Buffer = hdr;
    const level = h.get('nats-required-api-level');
    if (level !== undefined) {
      if (level !== '' && !levelServed(level)) this.failBatch(id, 'unsupported', 'RequiredApiLevel');
      stored = stripHeaders(hdr, API_LEVEL_HEADER) ?? hdr;
    }
    if (b.msgs.length + 1 !== seq) this.failBatch(id, 'incomplete', 'AtomicPublishIncompleteBatch');
    if (seq > MAX_BATCH_SIZE) this.failBatch(id, 'large', 'AtomicPublishTooLargeBatch', { size: MAX_BATCH_SIZE });
    b.msgs.push({ subject, hdr: Buffer.from(stored), body: Buffer.from(body), h });
    if (commit === undefined) {
      ack('');
      return;
    }
    this.drop(id);
    const last = this.commit(b.msgs);
    ack(`{"stream":${JSON.stringify(s.name)},"seq":${last},"batch":${JSON.stringify(id)},"count":${seq}}`);
  }

  /** Check every staged message in order, then store them all; returns the last sequence. */
  private commit(msgs: Staged[]): number {
    const diff: StagedDiff = { count: 0, msgIds: new Set(), subjects: new Map(), bytes: 0, counters: new Map() };
    const prepared: Prepared[] = [];
    for (const m of msgs) {
      if (m.h.has('nats-expected-last-msg-id')) {
        fail('AtomicPublishUnsupportedHeaderBatch', { header: 'Nats-Expected-Last-Msg-Id' });
      }
      // With a diff a duplicate is an error, so every message comes back prepared.
      const p = this.stream.check(m.subject, m.h, m.hdr, m.body, diff);
      if (p !== undefined) prepared.push(p);
    }
    let seq = 0;
    for (const p of prepared) seq = this.stream.storePrepared(p);
    return seq;
  }

  /** Drop every open batch (stream deleted, or atomic publish turned off). */
  clear(): void {
    for (const id of [...this.open.keys()]) this.drop(id);
  }

  private abandon(id: string, reason: 'timeout'): void {
    if (!this.open.has(id)) return;
    this.drop(id);
    this.stream.batchAbandoned(id, reason);
  }

  private failBatch(
    id: string,
    reason: 'large' | 'incomplete' | 'unsupported' | undefined,
    error: JsErrorName,
    args?: Record<string, number>,
  ): never {
    this.drop(id);
    if (reason !== undefined) this.stream.batchAbandoned(id, reason);
    fail(error, args);
  }

  private drop(id: string): void {
    const b = this.open.get(id);
    if (b === undefined) return;
    clearTimeout(b.timer);
    this.open.delete(id);
    inflightTotal--;
  }
}
