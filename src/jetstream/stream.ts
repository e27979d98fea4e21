// One stream: its config, its store (native), publish handling (dedup by Nats-Msg-Id, the Nats-Expected-*
// checks, rollup, limits) and its consumers. Publish acks are queued on the context and sent after the
// turn's store sync (group commit), so an acknowledged message is durable.

import { NativeStore, type NativeStoreApi, type StoreLimitsJs, subjectsCollide } from '../native/index.js';
import type { Consumer } from './consumer.js';
import type { JsContext } from './context.js';
import type { StreamConfig } from './defaults.js';
import { apiError, type ApiError, fail, JsApiError } from './errors.js';
import type { FrameView, RawHandler } from '../internal/internal-client.js';
import { withDynamicMetadata } from './versioning.js';
import { API_LEVEL } from './api-level.js';
import { applyTtl, checkTtlAllowed, publishTtl } from './ttl.js';
import { AtomicBatches, stageMessage, type StagedDiff } from './batch.js';
import { counterBody, counterValue, incrementOf } from './counter.js';
import { checkSchedule, MessageSchedules } from './schedules.js';
import { type Headers, nowNs, parseHeaders, reserveNs, rfc3339 } from './wire.js';
import { Republisher } from './republish.js';
import { inputTransform } from './input-transform.js';
import type { SubjectTransform } from './subject-transform.js';
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
    subjectDeleteMarkers: typeof cfg.subject_delete_marker_ttl === 'number' && cfg.subject_delete_marker_ttl > 0,
  };
}

/** Store errors as nats-server words them in a publish ack. */
function storeError(e: unknown): ApiError {
  const msg = e instanceof Error ? e.message : String(e);
  const code = msg.slice(0, msg.indexOf(':'));
  if (code === 'msg_too_big') return apiError('StreamMessageExceedsMaximum');
  return apiError('StreamStoreFailed', { err: msg.slice(msg.indexOf(':') + 2) });
}

/** A publish that passed the checks, as it will be stored (headers and body possibly rewritten). */
export interface Prepared {
  subject: string;
  hdr: Buffer | undefined;
  body: Buffer;
  h: Headers;
  msgId: string | undefined;
  rollup: string | undefined;
  /** A counter stream's new total on the subject. */
  total: bigint | undefined;
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
  /** Open atomic batches (batch.ts), made at the first one. */
  private batches: AtomicBatches | undefined;
  /** Pending message schedules (schedules.ts), while `allow_msg_schedules` is set. */
  private schedules: MessageSchedules | undefined;
  private runLen = 0;
  private runBuf: Buffer | undefined;
  /** Account bytes the run may still take (`fitsRun`). */
  private runBudget = 0;
  /** The copy published after each store, when the config has `republish`. */
  private republisher: Republisher | undefined;
  /** `subject_transform`: the subject a published (or sourced) message is stored under (input-transform.ts). */
  private inputTransform: SubjectTransform | undefined;
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
    if (config.allow_msg_schedules === true) this.schedules = new MessageSchedules(this);
    this.republisher = Republisher.of(config);
    this.inputTransform = inputTransform(config);
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

  /** The stream is going: stop capturing, serving and every timer (open batches, schedules). */
  unsubscribe(): void {
    this.stopCapture();
    this.batches?.clear();
    this.schedules?.stop();
  }

  private stopCapture(): void {
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
   * acks that do not wait for an fsync (the service's policy, or `persist_mode: async`), and
   * `plainPublishesStoredAsIs` — and it tells us of stores only while consumers wait.
   * Called when any of that may have changed.
   */
  updateCapture(): void {
    if (this.captureId === undefined) return;
    const c = this.config;
    const enabled = this.ctx.captureAllowed(c) && this.plainPublishesStoredAsIs();
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
    if (config.allow_atomic !== true) this.batches?.clear();
    if (config.allow_msg_schedules === true) this.schedules ??= new MessageSchedules(this);
    this.republisher = Republisher.of(config);
    this.inputTransform = inputTransform(config);
    this.store.setLimits(storeLimits(config));
    if (resubscribe) {
      this.stopCapture();
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
    this.directGetId = this.ctx.client.serveDirectGet(this.name, this.store, API_LEVEL);
  }

  private stopDirect(): void {
    if (this.directGetId === undefined) return;
    this.ctx.client.removeService(this.directGetId);
    this.directGetId = undefined;
  }

  /**
   * Whether every header-less publish is stored exactly as sent and acked with its sequence alone, whatever its
   * subject: not when sealed, with interest retention (kept only if a consumer wants it), on a counter stream
   * (`Nats-Incr` is required), a schedule stream (a message on a schedule's subject cancels it), one that
   * republishes (every stored message is copied) or one whose `subject_transform` changes subjects. The one place for this condition: the native run and the
   * engine's capture use it.
   */
  plainPublishesStoredAsIs(): boolean {
    const c = this.config;
    return (
      !c.sealed &&
      c.retention !== 'interest' &&
      c.allow_msg_counter !== true &&
      c.allow_msg_schedules !== true &&
      this.republisher === undefined &&
      this.inputTransform === undefined
    );
  }

  /**
   * A message published on one of the stream's subjects, as byte ranges. Messages without headers (so no
   * Nats-Msg-Id or Nats-Expected-* to check) join the run stored natively at the flush, when the stream
   * takes them all alike (`plainPublishesStoredAsIs`, storage not full); the rest go through `onPublish`, in order.
   */
  private onFrame(buf: Buffer, f: FrameView): void {
    const plain =
      f.bodyStart === f.hdrStart &&
      f.bodyEnd - f.bodyStart <= this.ctx.maxPayload &&
      this.plainPublishesStoredAsIs() &&
      this.fitsRun(f.subjectEnd - f.subjectStart + f.bodyEnd - f.bodyStart + 16);
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
  onPublish(published: string, reply: string, hdr: Buffer | undefined, body: Buffer): void {
    const subject = this.inputTransform?.match(published) ?? published;
    const ack = (text: string) => {
      if (reply !== '' && this.config.no_ack !== true) this.ctx.queueAck(this, reply, text);
    };
    try {
      const h = parseHeaders(hdr);
      const batchId = h.get('nats-batch-id');
      if (batchId !== undefined && batchId !== '' && hdr !== undefined) {
        this.batches ??= new AtomicBatches(this);
        this.batches.onPublish(batchId, subject, hdr, body, h, ack);
        return;
      }
      if (this.config.sealed) fail('StreamSealed');
      this.checkStorage(subject, hdr, body);
      const p = this.check(subject, h, hdr, body, undefined, ack);
      if (p === undefined) return;
      const seq = this.storePrepared(p);
      const val = p.total !== undefined ? `,"val":"${p.total}"` : '';
      ack(`{"stream":${JSON.stringify(this.name)},"seq":${seq}${val}}`);
    } catch (e) {
      const error = e instanceof JsApiError ? e.error : storeError(e);
      ack(JSON.stringify({ error, stream: this.name, seq: 0 }));
    }
  }

  /** A due schedule's message (schedules.ts): stored on its target like a publish without a reply. */
  storeScheduled(subject: string, hdr: Buffer, body: Buffer): void {
    this.onPublish(subject, '', hdr, body);
    this.ctx.commit();
  }

  /**
   * Room for one more message: the server's storage (10023 once used up) and the account's bytes (10002 when this
   * message would take it past its limit), counted as the store counts them (subject + headers + payload + 16).
   */
  checkStorage(subject: string, hdr: Buffer | undefined, body: Buffer): void {
    if (this.ctx.storageFull(this.config.storage)) fail('InsufficientResources');
    const size = Buffer.byteLength(subject) + (hdr?.length ?? 0) + body.length + 16;
    if (size > this.ctx.accountHeadroom(this.config.storage)) fail('AccountResourcesExceeded');
  }

  /**
   * Whether a header-less message of `size` bytes may join the native run: the run is only ever as long as the
   * account's bytes left when it started allow (a message past that goes through `onPublish`, which checks exactly).
   */
  private fitsRun(size: number): boolean {
    if (this.runLen === 0) {
      if (this.ctx.storageFull(this.config.storage)) return false;
      this.runBudget = this.ctx.accountHeadroom(this.config.storage);
    }
    if (size > this.runBudget) return false;
    this.runBudget -= size;
    return true;
  }

  batchAbandoned(batch: string, reason: string): void {
    this.ctx.advisory(`$JS.EVENT.ADVISORY.STREAM.BATCH_ABANDONED.${this.name}`, {
      type: 'io.nats.jetstream.advisory.v1.stream_batch_abandoned',
      stream: this.name,
      batch,
      reason,
    });
  }

  /**
   * The publish checks, in nats-server's order, without storing. Returns the message to store, or undefined
   * when it was a duplicate (acked here). `diff` is set for the messages of an atomic batch's commit: they are
   * checked as if the ones before them were stored, and a duplicate is an error there.
   */
  check(
    subject: string,
    h: Headers,
    hdr: Buffer | undefined,
    body: Buffer,
    diff?: StagedDiff,
    ack?: (text: string) => void,
  ): Prepared | undefined {
    const nowMs = Date.now();
    this.pruneDedup(nowMs);
    const incr = incrementOf(h, body, this.config.allow_msg_counter === true);
    const expStream = h.get('nats-expected-stream');
    if (expStream !== undefined && expStream !== this.name) fail('StreamNotMatch');
    const ttl = publishTtl(hdr);
    checkTtlAllowed(this.config, ttl);
    const expLast = h.get('nats-expected-last-sequence');
    if (expLast !== undefined) {
      const last = this.store.state().lastSeq + (diff?.count ?? 0);
      if (Number(expLast) !== last) fail('StreamWrongLastSequence', { seq: last });
      // Only the first message of a batch may expect a sequence.
      if (diff !== undefined && diff.count > 0) fail('StreamWrongLastSequenceConstant');
    }
    const expSubj = h.get('nats-expected-last-subject-sequence');
    if (expSubj !== undefined) {
      const filter = h.get('nats-expected-last-subject-sequence-subject') ?? subject;
      if (diff?.subjects.has(filter) === true) fail('StreamWrongLastSequenceConstant');
      const last = this.store.loadLast(Buffer.from(filter))?.seq ?? 0;
      if (Number(expSubj) !== last) fail('StreamWrongLastSequence', { seq: last });
    } else if (h.has('nats-expected-last-subject-sequence-subject')) {
      fail('StreamExpectedLastSeqPerSubjectInvalid');
    }
    const scheduled = checkSchedule(this.config, subject, h, hdr);
    const msgId = h.get('nats-msg-id');
    if (msgId !== undefined) {
      const seen = this.dedup.get(msgId);
      if (diff !== undefined && (seen !== undefined || diff.msgIds.has(msgId))) fail('AtomicPublishContainsDuplicateMessage');
      if (seen !== undefined) {
        ack?.(`{"stream":${JSON.stringify(this.name)},"seq":${seen.seq},"duplicate":true}`);
        return undefined;
      }
    }
    const expId = h.get('nats-expected-last-msg-id');
    if (expId !== undefined && expId !== this.lastMsgId) fail('StreamWrongLastMsgID', { id: this.lastMsgId });
    // A schedule without a rollup got `Nats-Rollup: sub` added (checkSchedule).
    const rollup = scheduled !== hdr ? 'sub' : h.get('nats-rollup');
    if (rollup !== undefined) {
      if (!this.config.allow_rollup_hdrs) fail('StreamRollupFailed', { err: 'rollup not permitted' });
      if (rollup !== 'sub' && rollup !== 'all') fail('StreamRollupFailed', { err: `rollup value invalid: ${rollup}` });
      // In a batch: a subject rollup only on the subject's first message, a stream rollup only first of all.
      if (rollup === 'sub' && diff?.subjects.has(subject) === true) fail('StreamRollupFailed', { err: 'batch rollup sub invalid' });
      if (rollup === 'all' && (diff?.count ?? 0) > 0) fail('StreamRollupFailed', { err: 'batch rollup all invalid' });
    }
    let total: bigint | undefined;
    if (this.config.allow_msg_counter === true) {
      if (incr === undefined) fail('MessageIncrMissing');
      total = (diff?.counters.get(subject) ?? counterValue(this.store, subject)) + incr;
      body = counterBody(total);
    }
    const stored = applyTtl(this.config, scheduled, ttl);
    const hdrLen = stored?.length ?? 0;
    if (hdrLen + body.length > this.ctx.maxPayload) fail('StreamMessageExceedsMaximum');
    if (diff !== undefined) {
      // The bytes the store charges it (`msg_size` in native/store/src/lib.rs).
      stageMessage(diff, this.store, this.config, subject, Buffer.byteLength(subject) + hdrLen + body.length + 16);
      if (msgId !== undefined) diff.msgIds.add(msgId);
      if (total !== undefined) diff.counters.set(subject, total);
    }
    return { subject, hdr: stored, body, h, msgId, rollup, total };
  }

  /**
   * Store a checked message, apply its rollup (or a schedule's purge), remember its msg id and republish it;
   * returns its sequence.
   */
  storePrepared(p: Prepared): number {
    const subject = Buffer.from(p.subject);
    const lastSeq = this.lastSeqOf(p.subject);
    const tsNs = nowNs();
    const seq = this.store.store(subject, p.hdr ?? NO_FILTER, p.body, tsNs);
    if (p.rollup === 'sub') this.store.purge(subject, seq, 0);
    else if (p.rollup === 'all') this.store.purge(NO_FILTER, seq, 0);
    else if (p.h.get('nats-schedule-next') === 'purge') {
      // The message a schedule produced (or a cancel): the schedule's subject goes.
      const scheduler = p.h.get('nats-scheduler');
      if (scheduler !== undefined && scheduler !== '') this.store.purge(Buffer.from(scheduler), 0, 0);
    }
    this.schedules?.onStored(seq, p.subject, p.h);
    if (p.msgId !== undefined) {
      this.dedup.set(p.msgId, { seq, ms: Date.now() });
      this.lastMsgId = p.msgId;
    }
    this.afterStore(p.subject, p.hdr, p.body, seq, tsNs, lastSeq);
    return seq;
  }

  /** A message from a source (sources.ts): the publish checks apply, no ack. False when it was not stored. */
  storeSourced(subject: string, hdr: Buffer, body: Buffer): boolean {
    try {
      if (this.config.sealed) fail('StreamSealed');
      const stored = this.inputTransform?.match(subject) ?? subject;
      this.checkStorage(stored, hdr, body);
      const p = this.check(stored, parseHeaders(hdr), hdr, body, undefined, () => undefined);
      if (p !== undefined) this.storePrepared(p);
      return true;
    } catch {
      return false;
    }
  }

  /** A message of the origin of this mirror (mirror.ts), stored as the origin's next with the origin's time. */
  storeMirrored(subject: string, hdr: Buffer, body: Buffer, tsNs: bigint): number {
    if (this.config.sealed) fail('StreamSealed');
    this.checkStorage(subject, hdr, body);
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
    // So are those a subject_transform stored under another subject.
    if (this.config.mirror !== undefined || this.config.sources !== undefined || this.inputTransform !== undefined) return true;
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
