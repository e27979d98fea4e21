// One stream: its config, its store (native), publish handling (dedup by Nats-Msg-Id, the Nats-Expected-*
// checks, rollup, limits) and its consumers. Publish acks are queued on the context and sent after the
// turn's store sync (group commit), so an acknowledged message is durable.

import { NativeStore, type NativeStoreApi, type StoreLimitsJs, subjectsCollide } from '../native/index.js';
import type { Consumer } from './consumer.js';
import type { JsContext } from './context.js';
import type { StreamConfig } from './defaults.js';
import { apiError, type ApiError, fail, JsApiError } from './errors.js';
import type { FrameView, RawHandler } from '../internal/internal-client.js';
import { nowNs, parseHeaders, reserveNs, rfc3339 } from './wire.js';
import { withDynamicMetadata } from './versioning.js';
import { Republisher } from './republish.js';
import { configJson } from './upstream-config.js';

const NO_FILTER = Buffer.alloc(0);
/** u32 fields per message in a native ingest run's index: subject, reply, body (offset, length each). */
const RUN_FIELDS = 6;

export function storeLimits(cfg: StreamConfig): StoreLimitsJs {
  return {
    maxMsgs: cfg.max_msgs,
    maxBytes: cfg.max_bytes,
    maxAgeNs: BigInt(cfg.max_age),
    maxMsgSize: cfg.max_msg_size,
    maxMsgsPerSubject: cfg.max_msgs_per_subject,
    discard: cfg.discard,
    discardNewPerSubject: cfg.discard_new_per_subject === true,
  };
}

/** Store errors as nats-server words them in a publish ack. */
function storeError(e: unknown): ApiError {
  const msg = e instanceof Error ? e.message : String(e);
  const code = msg.slice(0, msg.indexOf(':'));
  if (code === 'msg_too_big') return apiError('StreamMessageExceedsMaximum');
  return apiError('StreamStoreFailed', { err: msg.slice(msg.indexOf(':') + 2) });
}

export class Stream {
  readonly store: NativeStoreApi;
  /** The engine service answering this stream's direct gets, while `allow_direct` is set. */
  private directGetId: number | undefined;
  /** The engine capture storing header-less publishes on the receiving thread (see `updateCapture`). */
  private captureId: number | undefined;
  /** Messages handled since the capture was last told (`settleCapture`): each reached `capture` past it. */
  private handled = 0;
  readonly consumers = new Map<string, Consumer>();
  /** Nats-Msg-Id → (sequence, arrival ms), oldest first, pruned past the duplicate window. */
  private readonly dedup = new Map<string, { seq: number; ms: number }>();
  private lastMsgId = '';
  private sids: string[] = [];
  /**
   * Header-less publishes of the current delivery batch waiting to be stored in one native call
   * (`flushRun`): offsets into `runBuf`, the internal client's batch buffer, valid until its flush.
   */
  private run = new Uint32Array(RUN_FIELDS * 256);
  private runLen = 0;
  private runBuf: Buffer | undefined;
  /** The copy published after each store, when the config has `republish`. */
  private republisher: Republisher | undefined;
  private readonly capture: RawHandler = {
    onFrame: (buf, f) => this.onFrame(buf, f),
    flush: () => this.flushRun(),
  };

  constructor(
    private readonly ctx: JsContext,
    public config: StreamConfig,
    readonly created: bigint,
    readonly dir: string,
  ) {
    this.store = new NativeStore(config.storage, dir, storeLimits(config));
    this.republisher = Republisher.of(config);
  }

  /**
   * After a restart: the `Nats-Msg-Id`s (and the last msg id) of the messages still inside the duplicate
   * window, read back from the stored headers (as nats-server rebuilds its dedup map), so a publisher retrying
   * across the restart is told `duplicate` instead of storing twice.
   */
  rebuildDedup(): void {
    const windowNs = BigInt(this.config.duplicate_window);
    if (windowNs <= 0n) return;
    const nowMs = Date.now();
    let seq = this.store.seqForTime(nowNs() - windowNs);
    for (let i = 0; i < 10_000_000; i++) {
      const m = this.store.loadNext(seq, NO_FILTER);
      if (m === null) break;
      seq = m.seq + 1;
      const id = m.hdr.length > 0 ? parseHeaders(m.hdr).get('nats-msg-id') : undefined;
      if (id === undefined) continue;
      this.dedup.delete(id);
      this.dedup.set(id, { seq: m.seq, ms: Number(m.tsNs / 1_000_000n) });
      this.lastMsgId = id;
    }
    this.pruneDedup(nowMs);
  }

  get name(): string {
    return this.config.name;
  }

  /** Start capturing the stream's subjects, and answering direct gets if the stream allows them. */
  subscribe(): void {
    for (const s of this.config.subjects) {
      this.sids.push(this.ctx.client.subscribe(s, this.capture));
    }
    this.captureId = this.ctx.client.serveCapture(this.name, this.store, this.sids, () => this.onCaptured());
    this.updateCapture();
    this.serveDirect();
  }

  unsubscribe(): void {
    if (this.captureId !== undefined) {
      this.store.setCapture(false, false, false);
      this.ctx.client.removeService(this.captureId);
      this.captureId = undefined;
    }
    for (const sid of this.sids) this.ctx.client.unsubscribe(sid);
    this.sids = [];
    this.stopDirect();
  }

  /**
   * Whether the engine may store this stream's header-less publishes on the thread that receives them and ack
   * them from there (native/store/src/capture.rs): only when such a publish needs nothing of this file —
   * acks that do not wait for an fsync (the service's policy), not sealed, no interest retention (the store
   * keeps a message only while a consumer wants it) — and it tells us of stores only while consumers wait.
   * Called when any of that may have changed.
   */
  updateCapture(): void {
    if (this.captureId === undefined) return;
    const c = this.config;
    // A republish must see every stored message, so its stream takes them all through `accept`.
    const enabled = this.ctx.captureAllowed(c) && c.sealed !== true && c.retention !== 'interest' && this.republisher === undefined;
    this.store.setCapture(enabled, c.no_ack === true, this.consumers.size > 0 || this.ctx.feeds.hasFollowers(this));
  }

  /** The capture stored messages: consumers may deliver them. */
  private onCaptured(): void {
    if (this.captureId === undefined) return;
    this.store.captureNotified();
    this.notifyConsumers();
  }

  update(config: StreamConfig): void {
    const resubscribe = JSON.stringify(config.subjects) !== JSON.stringify(this.config.subjects);
    this.config = config;
    this.republisher = Republisher.of(config);
    this.store.setLimits(storeLimits(config));
    if (resubscribe) {
      this.unsubscribe();
      this.subscribe();
      return;
    }
    this.updateCapture();
    if (config.allow_direct) this.serveDirect();
    else this.stopDirect();
  }

  /**
   * `allow_direct`: `$JS.API.DIRECT.GET.<stream>` is answered by the engine itself on the thread that receives
   * the request (native/store/src/direct_get.rs), as nats-server subscribes those subjects only for such streams.
   */
  private serveDirect(): void {
    if (!this.config.allow_direct || this.directGetId !== undefined) return;
    this.directGetId = this.ctx.client.serveDirectGet(this.name, this.store);
  }

  private stopDirect(): void {
    if (this.directGetId === undefined) return;
    this.ctx.client.removeService(this.directGetId);
    this.directGetId = undefined;
  }

  /**
   * A message published on one of the stream's subjects, as byte ranges. Messages without headers (so no
   * Nats-Msg-Id or Nats-Expected-* to check) join the run stored natively at the flush, when the stream
   * takes them all alike (not sealed, storage not full, no interest retention); the rest go through
   * `onPublish`, in order.
   */
  private onFrame(buf: Buffer, f: FrameView): void {
    const plain =
      f.bodyStart === f.hdrStart &&
      f.bodyEnd - f.bodyStart <= this.ctx.maxPayload &&
      !this.config.sealed &&
      this.config.retention !== 'interest' &&
      this.republisher === undefined &&
      (this.runLen > 0 || !this.ctx.storageFull(this.config.storage));
    if (!plain || (this.runBuf !== undefined && this.runBuf !== buf)) this.flushRun();
    if (!plain) {
      const reply = f.replyEnd > f.replyStart ? buf.toString('utf8', f.replyStart, f.replyEnd) : '';
      const hdr = f.bodyStart > f.hdrStart ? buf.subarray(f.hdrStart, f.bodyStart) : undefined;
      this.onPublish(buf.toString('utf8', f.subjectStart, f.subjectEnd), reply, hdr, buf.subarray(f.bodyStart, f.bodyEnd));
      this.handled++;
      return;
    }
    if ((this.runLen + 1) * RUN_FIELDS > this.run.length) {
      const bigger = new Uint32Array(this.run.length * 2);
      bigger.set(this.run);
      this.run = bigger;
    }
    const r = this.run;
    let i = this.runLen++ * RUN_FIELDS;
    r[i++] = f.subjectStart;
    r[i++] = f.subjectEnd - f.subjectStart;
    r[i++] = f.replyStart;
    r[i++] = f.replyEnd - f.replyStart;
    r[i++] = f.bodyStart;
    r[i] = f.bodyEnd - f.bodyStart;
    this.runBuf = buf;
    this.handled++;
  }

  /**
   * Store the run, then tell the capture how many messages this subscription has handled: the capture holds
   * back a publisher's later messages until the ones it declined are stored here.
   */
  private flushRun(): void {
    this.storeRun();
    if (this.handled > 0) {
      this.store.settleCapture(this.handled);
      this.handled = 0;
    }
  }

  /** Store the run in one native call per stretch; a message the store refuses is retried alone to word the error. */
  private storeRun(): void {
    const buf = this.runBuf;
    const n = this.runLen;
    this.runBuf = undefined;
    this.runLen = 0;
    if (buf === undefined || n === 0) return;
    const index = Buffer.from(this.run.buffer, 0, n * RUN_FIELDS * 4);
    const ackPrefix = this.config.no_ack === true ? NO_FILTER : Buffer.from(`{"stream":${JSON.stringify(this.name)},"seq":`);
    let done = 0;
    while (done < n) {
      const out = this.store.storeRun(buf, index.subarray(done * RUN_FIELDS * 4), reserveNs(n - done), ackPrefix);
      const stored = out.readUInt32LE(out.length - 16);
      const acksLen = out.readUInt32LE(out.length - 4);
      if (acksLen > 0) this.ctx.queueAckFrames(this, out.subarray(0, acksLen));
      if (stored > 0) this.ctx.markWritten(this);
      done += stored;
      if (done >= n) break;
      const r = this.run;
      const i = done * RUN_FIELDS;
      const at = (k: number) => r[i + k] as number;
      const reply = buf.toString('utf8', at(2), at(2) + at(3));
      this.onPublish(buf.toString('utf8', at(0), at(0) + at(1)), reply, undefined, buf.subarray(at(4), at(4) + at(5)));
      done++;
    }
  }

  /** A message published on one of the stream's subjects. */
  onPublish(subject: string, reply: string, hdr: Buffer | undefined, body: Buffer): void {
    const ack = (text: string) => {
      if (reply !== '' && this.config.no_ack !== true) this.ctx.queueAck(this, reply, text);
    };
    try {
      const seq = this.accept(subject, hdr, body, ack);
      if (seq > 0) ack(`{"stream":${JSON.stringify(this.name)},"seq":${seq}}`);
    } catch (e) {
      const error = e instanceof JsApiError ? e.error : storeError(e);
      ack(JSON.stringify({ error, stream: this.name, seq: 0 }));
    }
  }

  /** Store a message after the publish checks. Returns its sequence, or 0 when a duplicate was acked. */
  private accept(subject: string, hdr: Buffer | undefined, body: Buffer, ack: (text: string) => void): number {
    if (this.config.sealed) fail('StreamStoreFailed', { err: 'invalid operation on sealed stream' });
    if (this.ctx.storageFull(this.config.storage)) fail('InsufficientResources');
    const h = parseHeaders(hdr);
    const nowMs = Date.now();
    this.pruneDedup(nowMs);
    const expStream = h.get('nats-expected-stream');
    if (expStream !== undefined && expStream !== this.name) fail('StreamNotMatch');
    const msgId = h.get('nats-msg-id');
    if (msgId !== undefined) {
      const seen = this.dedup.get(msgId);
      if (seen !== undefined) {
        ack(`{"stream":${JSON.stringify(this.name)},"seq":${seen.seq},"duplicate":true}`);
        return 0;
      }
    }
    const expLast = h.get('nats-expected-last-sequence');
    if (expLast !== undefined) {
      const last = this.store.state().lastSeq;
      if (Number(expLast) !== last) fail('StreamWrongLastSequence', { seq: last });
    }
    const expSubj = h.get('nats-expected-last-subject-sequence');
    if (expSubj !== undefined) {
      const filter = h.get('nats-expected-last-subject-sequence-subject') ?? subject;
      const last = this.store.loadLast(Buffer.from(filter))?.seq ?? 0;
      if (Number(expSubj) !== last) fail('StreamWrongLastSequence', { seq: last });
    }
    const expId = h.get('nats-expected-last-msg-id');
    if (expId !== undefined && expId !== this.lastMsgId) fail('StreamWrongLastMsgID', { id: this.lastMsgId });
    const rollup = h.get('nats-rollup');
    if (rollup !== undefined) {
      if (!this.config.allow_rollup_hdrs) fail('StreamRollupFailed', { err: 'rollup not permitted' });
      if (rollup !== 'sub' && rollup !== 'all') fail('StreamRollupFailed', { err: `rollup value invalid: ${rollup}` });
    }
    const hdrLen = hdr?.length ?? 0;
    if (hdrLen + body.length > this.ctx.maxPayload) fail('StreamMessageExceedsMaximum');
    const lastSeq = this.lastSeqOf(subject);
    const tsNs = nowNs();
    const seq = this.store.store(Buffer.from(subject), hdr ?? NO_FILTER, body, tsNs);
    if (rollup === 'sub') this.store.purge(Buffer.from(subject), seq, 0);
    else if (rollup === 'all') this.store.purge(NO_FILTER, seq, 0);
    if (msgId !== undefined) {
      this.dedup.set(msgId, { seq, ms: nowMs });
      this.lastMsgId = msgId;
    }
    this.afterStore(subject, hdr, body, seq, tsNs, lastSeq);
    return seq;
  }

  /** A message from a source (sources.ts): the publish checks apply, no ack. False when it was not stored. */
  storeSourced(subject: string, hdr: Buffer, body: Buffer): boolean {
    try {
      this.accept(subject, hdr, body, () => undefined);
      return true;
    } catch {
      return false;
    }
  }

  /** A message of the origin of this mirror (mirror.ts), stored as the origin's next with the origin's time. */
  storeMirrored(subject: string, hdr: Buffer, body: Buffer, tsNs: bigint): number {
    if (this.config.sealed) fail('StreamStoreFailed', { err: 'invalid operation on sealed stream' });
    if (this.ctx.storageFull(this.config.storage)) fail('InsufficientResources');
    const lastSeq = this.lastSeqOf(subject);
    const seq = this.store.storeAt(Buffer.from(subject), hdr, body, tsNs);
    this.afterStore(subject, hdr.length > 0 ? hdr : undefined, body, seq, tsNs, lastSeq);
    return seq;
  }

  /** The sequence `subject` last held, which a republished copy carries (only looked up when republishing). */
  private lastSeqOf(subject: string): number {
    if (this.republisher?.target(subject) === undefined) return 0;
    return this.store.loadLast(Buffer.from(subject))?.seq ?? 0;
  }

  private afterStore(subject: string, hdr: Buffer | undefined, body: Buffer, seq: number, tsNs: bigint, lastSeq: number): void {
    const dest = this.republisher?.target(subject);
    if (dest !== undefined) {
      const c = (this.republisher as Republisher).copy(this.name, subject, hdr, body, seq, tsNs, lastSeq);
      this.ctx.client.publish(dest, '', c.hdr, c.body);
    }
    this.ctx.markWritten(this);
    if (this.config.retention === 'interest' && !this.hasInterestIn(subject)) this.store.remove(seq);
  }

  private pruneDedup(nowMs: number): void {
    const windowMs = this.config.duplicate_window / 1e6;
    for (const [id, e] of this.dedup) {
      if (nowMs - e.ms < windowMs) break;
      this.dedup.delete(id);
    }
  }

  private hasInterestIn(subject: string): boolean {
    for (const c of this.consumers.values()) if (c.filterMatches(subject)) return true;
    return this.ctx.feeds.wants(this, subject, 0); // a mirror or source of this stream is interest too
  }

  /** A consumer acknowledged `seq`: with interest or work-queue retention it may go now. */
  onAcked(seq: number, subject: string): void {
    if (this.config.retention === 'limits') return;
    if (this.config.retention === 'workqueue') {
      this.store.remove(seq);
      return;
    }
    for (const c of this.consumers.values()) {
      if (c.filterMatches(subject) && !c.hasAcked(seq)) return;
    }
    if (this.ctx.feeds.wants(this, subject, seq)) return;
    this.store.remove(seq);
  }

  /** New messages are stored (after the sync): let consumers deliver them. */
  notifyConsumers(): void {
    for (const c of this.consumers.values()) {
      c.streamChanged();
      c.pump();
    }
    this.ctx.feeds.originChanged(this);
  }

  /** Check that one of the stream's subjects could carry `filter`. */
  coversFilter(filter: string): boolean {
    // A mirror's or source's messages keep their origin's subjects, which are not the stream's own.
    if (this.config.mirror !== undefined || this.config.sources !== undefined) return true;
    return this.config.subjects.some((s) => subjectsCollide(s, filter));
  }

  stateJson(subjectsFilter?: string): Record<string, unknown> {
    const s = this.store.state();
    const state: Record<string, unknown> = {
      messages: s.msgs,
      bytes: s.bytes,
      first_seq: s.firstSeq,
      first_ts: rfc3339(s.firstTsNs),
      last_seq: s.lastSeq,
      last_ts: rfc3339(s.lastTsNs),
    };
    if (s.numDeleted > 0) state.num_deleted = s.numDeleted;
    if (s.numSubjects > 0) state.num_subjects = s.numSubjects;
    if (subjectsFilter !== undefined && subjectsFilter !== '') {
      const subjects: Record<string, number> = {};
      for (const e of this.store.subjectsState(Buffer.from(subjectsFilter))) subjects[e.subject] = e.msgs;
      if (Object.keys(subjects).length > 0) state.subjects = subjects;
    }
    state.consumer_count = this.consumers.size;
    return state;
  }

  info(subjectsFilter?: string): Record<string, unknown> {
    return {
      config: configJson(withDynamicMetadata(this.config)),
      created: rfc3339(this.created),
      state: this.stateJson(subjectsFilter),
      cluster: { leader: this.ctx.serverName },
      ...this.ctx.feeds.info(this),
      ts: rfc3339(nowNs()),
    };
  }
}
