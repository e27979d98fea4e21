// One consumer: where it is in its stream, what is delivered and not yet acknowledged, and delivery to pull
// requests (pull.ts) or to a deliver subject (push.ts). Timers (ack wait, request expiry, heartbeats,
// inactivity) are driven by the service's one tick (`tick`), not a timer per message.

import { subjectMatches } from '../native/index.js';
import type { StoredMsgJs } from '../native/index.js';
import { type Ack, ackReply } from './acks.js';
import type { JsContext } from './context.js';
import type { ConsumerConfig } from './defaults.js';
import type { ConsumerState } from './meta-files.js';
import {
  BAD_REQUEST,
  EXCEEDED_MAX_WAITING,
  NO_MESSAGES,
  type PullRequest,
  parsePullRequest,
  pendingStatus,
} from './pull.js';
import {
  FLOW_CONTROL_MAX_PENDING,
  FLOW_CONTROL_REQUEST,
  FLOW_CONTROL_START_WINDOW,
  flowControlReply,
  heartbeat,
} from './push.js';
import type { Stream } from './stream.js';
import { startPosition } from './consumer-start.js';
import { PauseClock, pauseAdvisoryFields, pauseInfo } from './pause.js';
import { type Pick, PriorityState } from './priority.js';
import { DeliveryBatch } from './delivery-batch.js';
import { appendHeaders, headerBlock, nowNs, rfc3339 } from './wire.js';
import { withDynamicMetadata } from './versioning.js';
import { ReplayPacer } from './replay.js';

interface Pending {
  cseq: number;
  deliveries: number;
  /** Redeliver at or after this time (ms). */
  dueMs: number;
  subject: string;
}

const NONE = Buffer.alloc(0);
/** At most this many messages, or bytes, per native delivery batch (one Buffer each). */
const BATCH_MSGS = 256;
const BATCH_BYTES = 1024 * 1024;
/**
 * Push deliveries framed per `pumpPush` call before it gives the loop turn back: the flusher writes them and
 * the next turn goes on (`schedulePush`). Without it one call framed a whole flow-control window (up to
 * 32 MiB) before the client saw a byte, and every other connection waited for it.
 */
const PUSH_TURN_BYTES = 256 * 1024;

export class Consumer {
  private readonly filters: string[];
  /** Next stream sequence to look at for first deliveries. */
  private nextSeq = 1;
  /** deliver_policy last_per_subject: the sequences still to deliver first, ascending. */
  private lps: number[] = [];
  private cseq = 0;
  private lastSseq = 0;
  private lastDeliveryMs = Date.now();
  private lastActiveMs = Date.now();
  private readonly pending = new Map<number, Pending>();
  /** Delivery counts of messages delivered more than once, kept while pending. */
  private numRedelivered = 0;
  private readonly waiting: PullRequest[] = [];
  /** Flow control (push.ts): the reply of the outstanding request, '' when none. */
  private fcPending = '';
  private fcId = 0;
  /** Bytes delivered and not yet released by a flow-control answer, and the window they may fill. */
  private fcBytes = 0;
  private fcWindow = FLOW_CONTROL_START_WINDOW;
  /** What the outstanding request releases when answered. */
  private fcSize = 0;
  private deleted = false;
  /** A `schedulePush` continuation is queued. */
  private pushQueued = false;
  /**
   * num_pending as last computed, kept current across deliveries so a replay does not recount the rest of
   * the stream per message; dropped whenever the stream changes (`streamChanged`).
   */
  private pendingCache: number | undefined;
  /** No pending message is due for redelivery before this time (ms): `peek` skips the scan until then. */
  private earliestDueMs = Infinity;
  /** Bumped on every delivery and ack, so the service knows when a durable's o.dat is stale. */
  stateVersion = 0;
  /** `pause_until` (pause.ts) and the priority-group pin (priority.ts). */
  private readonly pause = new PauseClock();
  /** `replay_policy: original` (replay.ts), and its timer while a gap is waited out. */
  private readonly replay: ReplayPacer;
  private replayTimer: NodeJS.Timeout | undefined;
  private readonly priority: PriorityState;
  /** Ends a waiting pull request with a status line that carries what it still had (a stale pin id). */
  private readonly refuse = (r: PullRequest, status: string): void => {
    this.ctx.client.publish(r.reply, '', pendingStatus(status, r));
  };

  constructor(
    private readonly ctx: JsContext,
    private readonly stream: Stream,
    readonly name: string,
    public config: ConsumerConfig,
    readonly created: bigint,
  ) {
    this.filters =
      config.filter_subjects !== undefined && config.filter_subjects.length > 0
        ? config.filter_subjects
        : config.filter_subject !== undefined && config.filter_subject !== '' && config.filter_subject !== '>'
          ? [config.filter_subject]
          : [];
    this.pause.set(config, Date.now());
    this.replay = new ReplayPacer(config.replay_policy === 'original', stream.store.state().lastSeq);
    this.priority = new PriorityState((k, t, f) => this.advisory(k, t, f), ctx.client.account);
    this.start();
    // Push delivery starts now (after the create response, which is already queued), not at the next tick.
    if (this.isPush) this.schedulePush();
  }

  /** Deleted (or its stream deleted): it takes no more acks or requests. */
  get stopped(): boolean {
    return this.deleted;
  }

  get streamName(): string {
    return this.stream.name;
  }

  get isPush(): boolean {
    return this.config.deliver_subject !== undefined;
  }

  /** Messages delivered and not yet acknowledged (overflow's min_ack_pending looks at it). */
  get ackPending(): number {
    return this.pending.size;
  }

  /** A new config (update, PAUSE): a changed `pause_until` is announced, and a resumed consumer delivers. */
  reconfigure(config: ConsumerConfig): void {
    const pausedBefore = this.config.pause_until;
    this.config = config;
    this.pause.set(config, Date.now());
    if (config.pause_until !== pausedBefore) this.advisory('PAUSE', 'consumer_pause', pauseAdvisoryFields(config));
    this.pump();
  }

  /** The create request's own pause advisory, sent after its reply whenever the consumer is paused. */
  announcePause(): void {
    if (this.pause.paused(Date.now())) this.advisory('PAUSE', 'consumer_pause', pauseAdvisoryFields(this.config));
  }

  /** `$JS.API.CONSUMER.UNPIN`: the pin goes, and a waiting request may take a new one. */
  unpin(group: string): void {
    this.priority.unpin(group);
    this.pump();
  }

  /** Where delivery starts, per deliver_policy. */
  private start(): void {
    const pos = startPosition(this.stream.store, this.config, this.filterList());
    this.nextSeq = pos.nextSeq;
    this.lps = pos.lastPerSubject;
    this.lastSseq = (this.lps[0] ?? this.nextSeq) - 1;
  }

  private filterList(): string[] {
    return this.filters.length > 0 ? this.filters : ['>'];
  }

  filterMatches(subject: string): boolean {
    return this.filters.length === 0 || this.filters.some((f) => subjectMatches(f, subject));
  }

  /** Whether this consumer is done with `seq` (for interest retention). */
  hasAcked(seq: number): boolean {
    return seq < this.nextSeq && !this.lps.includes(seq) && !this.pending.has(seq);
  }

  numPending(): number {
    if (this.pendingCache !== undefined) return this.pendingCache;
    this.pendingCache = this.countPending();
    return this.pendingCache;
  }

  /** The stream stored, removed or purged messages: num_pending must be counted again. */
  streamChanged(): void {
    this.pendingCache = undefined;
  }

  private countPending(): number {
    const store = this.stream.store;
    let n = this.lps.length;
    if (this.filters.length === 0) n += store.numPending(this.nextSeq, NONE, false);
    else for (const f of this.filters) n += store.numPending(this.nextSeq, Buffer.from(f), false);
    return n;
  }

  /** The next message to deliver without consuming it: a due redelivery, then new messages. */
  private peek(nowMs: number): { msg: StoredMsgJs; redelivery: boolean } | undefined {
    const store = this.stream.store;
    const maxDeliver = this.config.max_deliver;
    if (nowMs >= this.earliestDueMs) {
      let earliest = Infinity;
      for (const [seq, p] of this.pending) {
        if (maxDeliver > 0 && p.deliveries >= maxDeliver) continue;
        if (p.dueMs > nowMs) {
          earliest = Math.min(earliest, p.dueMs);
          continue;
        }
        const msg = store.load(seq);
        if (msg === null) {
          this.pending.delete(seq);
          continue;
        }
        return { msg, redelivery: true };
      }
      this.earliestDueMs = earliest;
    }
    if (this.config.ack_policy !== 'none' && this.pending.size >= (this.config.max_ack_pending ?? Infinity)) {
      return undefined;
    }
    while (this.lps.length > 0) {
      const msg = store.load(this.lps[0] as number);
      if (msg !== null) return { msg, redelivery: false };
      this.lps.shift();
      this.pendingCache = undefined;
    }
    let best: StoredMsgJs | null = null;
    for (const f of this.filters.length > 0 ? this.filters : ['']) {
      const m = store.loadNext(this.nextSeq, f === '' ? NONE : Buffer.from(f));
      if (m !== null && (best === null || m.seq < best.seq)) best = m;
    }
    return best !== null ? { msg: best, redelivery: false } : undefined;
  }

  /**
   * First deliveries of up to `maxMsgs` messages (stopping before `maxBytes`) to `to` in one native call:
   * the store frames them with their ack replies and the batch goes to the engine as is. Undefined when
   * nothing was delivered this way: a due redelivery, last-per-subject starts, several filters, headers_only,
   * no room under max_ack_pending, or the next message alone is over `maxBytes`; `peek`/`deliver` handle those.
   */
  private deliverBatch(to: string, maxMsgs: number, maxBytes: number, nowMs: number): DeliveryBatch | undefined {
    if (this.lps.length > 0 || this.filters.length > 1 || this.config.headers_only === true || this.replay.active) return undefined;
    if (nowMs >= this.earliestDueMs) return undefined;
    const acked = this.config.ack_policy !== 'none';
    if (acked) maxMsgs = Math.min(maxMsgs, (this.config.max_ack_pending ?? Infinity) - this.pending.size);
    if (maxMsgs <= 0) return undefined;
    const filter = this.filters.length === 1 ? Buffer.from(this.filters[0] as string) : NONE;
    const replyPrefix = Buffer.from(`$JS.ACK.${this.stream.name}.${this.name}.1.`);
    const pendingBefore = this.numPending();
    const firstCseq = this.cseq + 1;
    const b = new DeliveryBatch(
      this.stream.store.deliverBatch(this.nextSeq, filter, maxMsgs, maxBytes, Buffer.from(to), replyPrefix, firstCseq, pendingBefore),
    );
    if (b.count === 0) return undefined;
    const dueMs = nowMs + this.ackWaitMs(1);
    const retains = this.stream.config.retention !== 'limits';
    for (let i = 0; i < b.count; i++) {
      const seq = b.seq(i);
      // The subject is only needed to release the message on ack under interest or work-queue retention.
      if (acked) this.pending.set(seq, { cseq: firstCseq + i, deliveries: 1, dueMs, subject: retains ? b.subject(i) : '' });
      else if (retains) this.stream.onAcked(seq, b.subject(i));
    }
    if (acked) this.noteDue(dueMs);
    const last = b.seq(b.count - 1);
    this.nextSeq = last + 1;
    if (last > this.lastSseq) this.lastSseq = last;
    this.cseq += b.count;
    this.pendingCache = Math.max(0, pendingBefore - b.count);
    this.stateVersion += b.count;
    this.lastDeliveryMs = nowMs;
    this.ctx.client.publishFramed(b.frames);
    return b;
  }

  /** Deliver `msg` to `to`, recording it as pending. */
  private deliver(to: string, msg: StoredMsgJs, redelivery: boolean, nowMs: number, pinId?: string): number {
    if (redelivery) {
      this.numRedelivered++;
    } else {
      if (this.lps.length > 0 && this.lps[0] === msg.seq) this.lps.shift();
      else this.nextSeq = msg.seq + 1;
      if (this.pendingCache !== undefined && this.pendingCache > 0) this.pendingCache--;
    }
    this.stateVersion++;
    const prev = this.pending.get(msg.seq);
    const deliveries = (prev?.deliveries ?? 0) + 1;
    const cseq = ++this.cseq;
    if (msg.seq > this.lastSseq) this.lastSseq = msg.seq;
    this.lastDeliveryMs = nowMs;
    const reply = ackReply(this.stream.name, this.name, deliveries, msg.seq, cseq, msg.tsNs, this.numPending());
    let hdr: Buffer | undefined = msg.hdr.length > 0 ? msg.hdr : undefined;
    let body: Buffer = msg.msg;
    if (this.config.headers_only === true) {
      hdr = appendHeaders(hdr, [['Nats-Msg-Size', body.length]]);
      body = NONE;
    }
    if (pinId !== undefined) hdr = appendHeaders(hdr, [['Nats-Pin-Id', pinId]]);
    this.ctx.client.publish(msg.subject, reply, hdr, body, to);
    this.replay.delivered(msg.tsNs, this.nextSeq);
    if (this.config.ack_policy !== 'none') {
      const dueMs = nowMs + this.ackWaitMs(deliveries);
      this.pending.set(msg.seq, { cseq, deliveries, dueMs, subject: msg.subject });
      this.noteDue(dueMs);
    } else {
      this.stream.onAcked(msg.seq, msg.subject);
    }
    return msg.subject.length + (hdr?.length ?? 0) + body.length;
  }

  private noteDue(dueMs: number): void {
    if (dueMs < this.earliestDueMs) this.earliestDueMs = dueMs;
  }

  private ackWaitMs(deliveries: number): number {
    const b = this.config.backoff;
    if (b !== undefined && b.length > 0) return (b[Math.min(deliveries - 1, b.length - 1)] as number) / 1e6;
    return this.config.ack_wait / 1e6;
  }

  /** Deliver whatever can be delivered now. */
  pump(): void {
    if (this.deleted) return;
    const nowMs = Date.now();
    this.replay.progress(this.nextSeq);
    if (this.isPush) this.pumpPush(nowMs);
    else this.pumpPull(nowMs);
  }

  private pumpPull(nowMs: number): void {
    if (!this.pause.paused(nowMs)) this.deliverToWaiting(nowMs);
    // no_wait requests end as soon as nothing more is available.
    for (let i = 0; i < this.waiting.length; ) {
      const req = this.waiting[i] as PullRequest;
      if (!req.noWait) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.ctx.client.publish(req.reply, '', req.delivered === 0 ? NO_MESSAGES : pendingStatus('408 Request Timeout', req));
    }
  }

  /**
   * Deliver to waiting pull requests while there is something to deliver and a request may take it: the
   * priority policy picks the request (priority.ts). A pinned consumer delivers one message at a time, each
   * with its Nats-Pin-Id header, and only picks once a message is there, since picking may hand out the pin.
   */
  private deliverToWaiting(nowMs: number): void {
    const pinned = this.config.priority_policy === 'pinned_client';
    while (this.waiting.length > 0) {
      let next = pinned ? this.peek(nowMs) : undefined;
      if (pinned && next === undefined) break;
      const pick: Pick | undefined = this.priority.pick(this.config, this.waiting, this, nowMs, this.refuse);
      if (pick === undefined) break;
      const req = this.waiting[pick.index] as PullRequest;
      if (!pinned && !pick.limited) {
        const maxBytes = req.maxBytes > 0 ? Math.min(req.maxBytes, BATCH_BYTES) : BATCH_BYTES;
        const b = this.deliverBatch(req.reply, Math.min(req.batch, BATCH_MSGS), maxBytes, nowMs);
        if (b !== undefined) {
          req.batch -= b.count;
          req.delivered += b.count;
          req.lastActivityMs = nowMs;
          if (req.maxBytes > 0) req.maxBytes -= b.bytes;
          if (req.batch <= 0) this.waiting.splice(pick.index, 1);
          continue;
        }
      }
      next ??= this.peek(nowMs);
      if (next === undefined || this.replayWait(next.msg, nowMs)) break;
      const size = next.msg.subject.length + next.msg.hdr.length + next.msg.msg.length;
      if (req.maxBytes > 0 && size > req.maxBytes) {
        this.waiting.splice(pick.index, 1);
        if (pick.pinned) this.priority.release();
        this.ctx.client.publish(req.reply, '', pendingStatus('409 Message Size Exceeds MaxBytes', req));
        continue;
      }
      this.deliver(req.reply, next.msg, next.redelivery, nowMs, pinned ? this.priority.pinId : undefined);
      req.batch--;
      req.delivered++;
      req.lastActivityMs = nowMs;
      if (req.maxBytes > 0) req.maxBytes -= size;
      if (req.batch <= 0) this.waiting.splice(pick.index, 1);
    }
  }

  private pumpPush(nowMs: number): void {
    const to = this.config.deliver_subject as string;
    if (this.pause.paused(nowMs) || !this.ctx.client.hasInterest(to)) return;
    this.lastActiveMs = nowMs;
    const fc = this.config.flow_control === true;
    let framed = 0;
    while (!fc || this.fcBytes <= this.fcWindow) {
      if (framed >= PUSH_TURN_BYTES) {
        this.schedulePush();
        break;
      }
      // With flow control, a batch stops where the next request is due or the window is full; the message
      // that crosses that line goes alone (below), as nats-server's window counts whole messages.
      const room = this.fcPending === '' ? this.fcWindow / 2 - this.fcBytes : this.fcWindow - this.fcBytes;
      const maxBytes = fc ? Math.min(BATCH_BYTES, Math.max(Math.floor(room), 1)) : BATCH_BYTES;
      const b = this.deliverBatch(to, BATCH_MSGS, maxBytes, nowMs);
      let size: number;
      if (b !== undefined) {
        size = b.bytes;
      } else {
        const next = this.peek(nowMs);
        if (next === undefined || this.replayWait(next.msg, nowMs)) break;
        size = this.deliver(to, next.msg, next.redelivery, nowMs);
      }
      framed += size;
      if (!fc) continue;
      this.fcBytes += size;
      if (this.fcPending === '' && this.fcBytes > this.fcWindow / 2) {
        this.fcPending = flowControlReply(this.stream.name, this.name, ++this.fcId);
        this.fcSize = this.fcBytes;
        this.ctx.client.publish(to, this.fcPending, FLOW_CONTROL_REQUEST);
      } else if (this.fcPending !== '' && this.fcBytes - this.fcSize >= this.fcWindow) {
        this.fcSize += size;
      }
    }
  }

  /** Whether `msg` must wait out its original gap first (replay original); delivery resumes after it. */
  private replayWait(msg: StoredMsgJs, nowMs: number): boolean {
    const ms = this.replay.waitMs(msg.seq, msg.tsNs, nowMs);
    if (ms <= 0) return false;
    if (this.replayTimer === undefined) {
      this.replayTimer = setTimeout(() => {
        this.replayTimer = undefined;
        this.pump();
        this.ctx.client.flush();
      }, ms);
    }
    return true;
  }

  /** Go on delivering to the deliver subject on the next loop turn, once what is framed has been written. */
  private schedulePush(): void {
    if (this.pushQueued) return;
    this.pushQueued = true;
    setImmediate(() => {
      this.pushQueued = false;
      this.pump();
      this.ctx.client.flush();
    });
  }

  /** The client answered a flow-control request. */
  onFlowControl(subject: string): void {
    if (subject !== this.fcPending) return;
    this.fcPending = '';
    this.fcWindow = Math.min(this.fcWindow * 2, FLOW_CONTROL_MAX_PENDING);
    this.fcBytes = Math.max(0, this.fcBytes - this.fcSize);
    this.fcSize = 0;
    this.pump();
  }

  /** `$JS.API.CONSUMER.MSG.NEXT` for this consumer. */
  onPullRequest(reply: string, body: Buffer): void {
    if (reply === '') return;
    const nowMs = Date.now();
    this.lastActiveMs = nowMs;
    if (this.isPush) {
      this.ctx.client.publish(reply, '', BAD_REQUEST);
      return;
    }
    const req = parsePullRequest(reply, body, nowMs);
    if (req === undefined) {
      this.ctx.client.publish(reply, '', BAD_REQUEST);
      return;
    }
    const maxBatch = this.config.max_batch ?? 0;
    if (maxBatch > 0 && req.batch > maxBatch) {
      this.ctx.client.publish(reply, '', headerBlock(`409 Exceeded MaxRequestBatch of ${maxBatch}`));
      return;
    }
    const refused = this.priority.admit(this.config, req.priority, nowMs);
    if (refused !== undefined) {
      this.ctx.client.publish(reply, '', headerBlock(refused));
      return;
    }
    if (this.waiting.length >= (this.config.max_waiting ?? 512)) {
      this.ctx.client.publish(reply, '', EXCEEDED_MAX_WAITING);
      return;
    }
    this.waiting.splice(this.priority.insertAt(this.config, this.waiting, req), 0, req);
    this.pumpPull(nowMs);
  }

  /** An ack (or nak, term, progress, next) for stream sequence `sseq`; `reply` set means AckSync. */
  onAck(sseq: number, ack: Ack, reply: string): void {
    const nowMs = Date.now();
    this.lastActiveMs = nowMs;
    this.stateVersion++;
    const p = this.pending.get(sseq);
    switch (ack.kind) {
      case 'ack':
      case 'next':
        if (this.config.ack_policy === 'all') {
          for (const [seq, q] of this.pending) {
            if (seq <= sseq) {
              this.pending.delete(seq);
              this.stream.onAcked(seq, q.subject);
            }
          }
        } else if (p !== undefined) {
          this.pending.delete(sseq);
          this.stream.onAcked(sseq, p.subject);
        }
        break;
      case 'nak':
        if (p !== undefined) {
          p.dueMs = nowMs + ack.delayNs / 1e6;
          this.noteDue(p.dueMs);
        }
        break;
      case 'progress':
        if (p !== undefined) p.dueMs = nowMs + this.ackWaitMs(p.deliveries);
        break;
      case 'term':
        if (p !== undefined) {
          this.pending.delete(sseq);
          this.stream.onAcked(sseq, p.subject);
          this.advisory('MSG_TERMINATED', 'terminated', {
            consumer_seq: p.cseq,
            stream_seq: sseq,
            deliveries: p.deliveries,
            reason: ack.reason,
          });
        }
        break;
    }
    if (ack.kind === 'next') {
      this.onPullRequest(reply, Buffer.from(ack.request));
      return;
    }
    if (reply !== '') this.ctx.client.publish(reply, '', undefined);
    // Freed room under max_ack_pending: deliver once for the whole batch of acks, not once per ack.
    this.ctx.pumpSoon(this);
  }

  advisory(kind: string, type: string, fields: Record<string, unknown>): void {
    this.ctx.advisory(`$JS.EVENT.ADVISORY.CONSUMER.${kind}.${this.stream.name}.${this.name}`, {
      type: `io.nats.jetstream.advisory.v1.${type}`,
      stream: this.stream.name,
      consumer: this.name,
      ...fields,
    });
  }

  /**
   * Timers, once per service tick: ack-wait expiry (redelivery or, past max_deliver, the max-deliveries
   * advisory), pull request expiry and heartbeats, push heartbeats. Returns false when the consumer has been
   * inactive past its inactive_threshold and should be removed.
   */
  tick(nowMs: number): boolean {
    let due = false;
    if (this.pause.expired(nowMs)) {
      this.advisory('PAUSE', 'consumer_pause', pauseAdvisoryFields(this.config));
      due = true;
    }
    if (this.priority.expired(nowMs)) due = true;
    const maxDeliver = this.config.max_deliver;
    for (const [seq, p] of this.pending) {
      if (p.dueMs > nowMs) continue;
      if (maxDeliver > 0 && p.deliveries >= maxDeliver) {
        this.pending.delete(seq);
        this.stateVersion++;
        this.advisory('MAX_DELIVERIES', 'max_deliver', { stream_seq: seq, deliveries: p.deliveries });
        continue;
      }
      due = true;
    }
    for (let i = 0; i < this.waiting.length; ) {
      const req = this.waiting[i] as PullRequest;
      if (req.expiresAt > 0 && nowMs >= req.expiresAt) {
        this.waiting.splice(i, 1);
        this.ctx.client.publish(req.reply, '', pendingStatus('408 Request Timeout', req));
        continue;
      }
      if (req.heartbeatMs > 0 && nowMs - req.lastActivityMs >= req.heartbeatMs) {
        req.lastActivityMs = nowMs;
        // nats-server's pull heartbeat is the push one: it carries the last delivered sequences too.
        this.ctx.client.publish(req.reply, '', heartbeat(this.cseq, this.lastSseq, ''));
      }
      i++;
    }
    if (due) this.pump();
    if (this.isPush) {
      const hb = (this.config.idle_heartbeat ?? 0) / 1e6;
      const to = this.config.deliver_subject as string;
      const listening = this.ctx.client.hasInterest(to);
      if (listening) this.lastActiveMs = nowMs;
      if (hb > 0 && listening && nowMs - this.lastDeliveryMs >= hb) {
        this.lastDeliveryMs = nowMs;
        this.ctx.client.publish(to, this.fcPending, heartbeat(this.cseq, this.lastSseq, this.fcPending));
      }
      if (listening && this.numPending() > 0) this.pump();
    } else if (this.waiting.length > 0) {
      this.lastActiveMs = nowMs;
    }
    const inactive = (this.config.inactive_threshold ?? 0) / 1e6;
    return !(inactive > 0 && nowMs - this.lastActiveMs > inactive);
  }

  /** The consumer is being deleted: waiting pull requests are told. */
  stop(): void {
    this.deleted = true;
    clearTimeout(this.replayTimer);
    for (const req of this.waiting.splice(0)) {
      this.ctx.client.publish(req.reply, '', pendingStatus('409 Consumer Deleted', req));
    }
  }

  private ackFloor(): { consumer_seq: number; stream_seq: number } {
    let floorStream = this.lastSseq;
    let floorConsumer = this.cseq;
    for (const [seq, p] of this.pending) {
      if (seq - 1 < floorStream) floorStream = seq - 1;
      if (p.cseq - 1 < floorConsumer) floorConsumer = p.cseq - 1;
    }
    return { consumer_seq: floorConsumer, stream_seq: floorStream };
  }

  /** What a durable consumer saves in o.dat. */
  savedState(): ConsumerState {
    return {
      delivered: { consumer_seq: this.cseq, stream_seq: this.lastSseq },
      ack_floor: this.ackFloor(),
      next_seq: this.nextSeq,
      lps: this.lps.length > 0 ? this.lps : undefined,
      pending: [...this.pending].map(([seq, p]) => [seq, p.cseq, p.deliveries, p.dueMs]),
      num_redelivered: this.numRedelivered,
    };
  }

  /** Continue from a saved o.dat (after a restart), instead of the deliver policy's start. */
  restoreState(s: ConsumerState): void {
    this.cseq = s.delivered.consumer_seq;
    this.lastSseq = s.delivered.stream_seq;
    this.nextSeq = s.next_seq;
    this.lps = s.lps ?? [];
    this.numRedelivered = s.num_redelivered;
    this.pending.clear();
    for (const [seq, cseq, deliveries, dueMs] of s.pending) {
      const msg = this.stream.store.load(seq);
      if (msg === null) continue;
      this.pending.set(seq, { cseq, deliveries, dueMs, subject: msg.subject });
      this.noteDue(dueMs);
    }
    this.pendingCache = undefined;
  }

  info(): Record<string, unknown> {
    const info: Record<string, unknown> = {
      stream_name: this.stream.name,
      name: this.name,
      created: rfc3339(this.created),
      config: withDynamicMetadata(this.config),
      delivered: { consumer_seq: this.cseq, stream_seq: this.lastSseq },
      ack_floor: this.ackFloor(),
      num_ack_pending: this.pending.size,
      num_redelivered: this.numRedelivered,
      num_waiting: this.waiting.length,
      num_pending: this.numPending(),
      ...pauseInfo(this.config),
      ts: rfc3339(nowNs()),
    };
    const groups = this.priority.info(this.config);
    if (groups !== undefined) info.priority_groups = groups;
    if (this.isPush && this.ctx.client.hasInterest(this.config.deliver_subject as string)) info.push_bound = true;
    return info;
  }
}
