// The JetStream service of one account: its streams, the internal client it talks through, the group
// commit (one store sync per loop turn for every publish of the turn, then the acks), the timer tick, and
// the metadata files that let streams and durable consumers come back after a restart (meta-files.ts).

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import type { InternalClient } from '../internal/internal-client.js';
import type { Logger } from '../log.js';
import { readAck, readAckSubject } from './acks.js';
import type { FrameView } from '../internal/internal-client.js';
import { dropPartialBatch } from './batch.js';
import { apiError } from './errors.js';
import { accountStorageLimit } from './account-checks.js';
import { type AccountLimits, UNLIMITED } from './account-limits.js';
import { JsApi } from './api.js';
import { ColdStorage } from './cold-storage.js';
import { Consumer } from './consumer.js';
import type { JsContext } from './context.js';
import { type ConsumerConfig, normalizeStreamConfig, type StreamConfig } from './defaults.js';
import { loadStream, removeConsumerFiles, removeStaleConsumers, saveConsumerMeta, saveConsumerState, saveStreamMeta } from './meta-files.js';
import { Stream } from './stream.js';
import { expireStream } from './ttl.js';
import { Feeds } from './feeds.js';
import { mirrorOf } from './mirror.js';
import { sourcesOf } from './sources.js';
import { nowNs, rfc3339 } from './wire.js';

export interface JetStreamSettings {
  storeDir: string;
  maxPayload: number;
  serverName: string;
  maxMemoryStore: number;
  maxFileStore: number;
  /** 0: sync before every ack (group commit); -1: sync on every store ("always"); >0: sync every n ms, ack at once. */
  syncIntervalMs: number;
}

const TICK_MS = 100;
/** The capture stays off for a stream while its account has less than this left of its byte limit. */
const CAPTURE_ACCOUNT_MARGIN = 64 * 1024 * 1024;
/** How often `persist_mode: async` streams are fsynced when no `sync_interval` duration is set (nats-server's default). */
const ASYNC_PERSIST_SYNC_MS = 120_000;

/** What the control plane's API router listens on: `$JS.API.>` without `$JS.API.DIRECT.GET.<stream>…`. */
const JS_API_SUBJECTS = [
  '$JS.API.*',
  '$JS.API.STREAM.>',
  '$JS.API.CONSUMER.>',
  '$JS.API.ACCOUNT.>',
  '$JS.API.SERVER.>',
  '$JS.API.META.>',
  '$JS.API.DIRECT.*',
];

export class JetStreamService implements JsContext {
  readonly streams = new Map<string, Stream>();
  private readonly written = new Set<Stream>();
  /** The turn's publish acks: one per message, or `frames` holding a native ingest run's acks. */
  private acks: { stream: Stream; reply: string; body: string; frames?: Buffer }[] = [];
  /**
   * Durable consumers with an AckSync (an ack with a reply) this turn: their o.dat is rewritten, and fsynced
   * under the default policy, at the turn's end, before the reply goes out: the client is told the ack is kept
   * (exactly-once). Plain acks are saved by the service tick (every 100 ms): one lost to a crash means a
   * redelivery, which at-least-once allows (nats-server writes consumer state lazily, later than that).
   */
  private readonly acked = new Map<Consumer, boolean>();
  /** The `stateVersion` of each durable consumer's last written o.dat. */
  private readonly savedVersion = new WeakMap<Consumer, number>();
  private readonly timer: NodeJS.Timeout;
  private syncTimer: NodeJS.Timeout | undefined;
  readonly api: JsApi;
  readonly dir: string;
  /** Moves old sealed segments of streams with an archive policy (metadata) to their archive folders. */
  private readonly coldStorage: ColdStorage;
  readonly feeds: Feeds;
  private commitScheduled = false;

  constructor(
    readonly client: InternalClient,
    readonly settings: JetStreamSettings,
    private readonly log: Logger,
    /** The account's JetStream limits (its `jetstream { … }` block); unlimited unless configured. Replaced by a reload. */
    public limits: AccountLimits = UNLIMITED,
  ) {
    this.dir = join(settings.storeDir, 'jetstream', client.account, 'streams');
    mkdirSync(this.dir, { recursive: true });
    this.api = new JsApi(this);
    client.onBatchEnd(() => this.commit());
    // Every API subject but DIRECT.GET, which the engine answers for streams with allow_direct (stream.ts).
    const api = (subject: string, reply: string, hdr: Buffer | undefined, body: Buffer): void =>
      this.api.handle(subject, reply, hdr, body);
    for (const s of JS_API_SUBJECTS) client.subscribe(s, api);
    client.subscribe('$JS.ACK.>', { onFrame: (buf, f) => this.onAck(buf, f), flush: () => {} });
    client.subscribe('$JS.FC.>', (subject) => this.onFlowControl(subject));
    this.feeds = new Feeds(this.streams, { mirror: mirrorOf, sources: sourcesOf }, () => this.scheduleCommit());
    this.restore();
    this.coldStorage = new ColdStorage(this.streams, client.account, settings.storeDir, log);
    this.coldStorage.check();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    // `persist_mode: async` streams are fsynced on this timer too, at nats-server's default interval when the
    // server syncs before every ack.
    const syncEvery = settings.syncIntervalMs > 0 ? settings.syncIntervalMs : ASYNC_PERSIST_SYNC_MS;
    this.syncTimer = setInterval(() => this.syncAll(settings.syncIntervalMs <= 0), syncEvery);
    this.syncTimer.unref();
  }

  get maxPayload(): number {
    return this.settings.maxPayload;
  }

  get serverName(): string {
    return this.settings.serverName;
  }

  markWritten(stream: Stream): void {
    if (this.settings.syncIntervalMs === -1 && stream.config.persist_mode !== 'async') stream.store.sync();
    this.written.add(stream);
  }

  queueAck(stream: Stream, reply: string, body: string): void {
    this.acks.push({ stream, reply, body });
  }

  queueAckFrames(stream: Stream, frames: Buffer): void {
    this.acks.push({ stream, reply: '', body: '', frames });
  }

  advisory(subject: string, body: Record<string, unknown>): void {
    const full = { ...body, id: randomId(22), timestamp: rfc3339(nowNs()) };
    this.client.publish(subject, '', undefined, JSON.stringify(full));
  }

  /** Mirrors and sources store outside client traffic: commit their stores on the next loop turn. */
  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      this.commit();
    });
  }

  /** End of a loop turn's deliveries: make the turn's publishes durable, then acknowledge them. */
  /** Consumers acked during the current delivery batch: they deliver again once, at its end (`commit`). */
  private readonly toPump = new Set<Consumer>();

  pumpSoon(c: Consumer): void {
    this.toPump.add(c);
  }

  commit(): void {
    if (this.toPump.size > 0) {
      for (const c of this.toPump) c.pump();
      this.toPump.clear();
    }
    if (this.acked.size > 0) {
      const policy = this.settings.syncIntervalMs;
      for (const [c, ackSync] of this.acked) this.saveConsumerState(c, policy === -1 || (policy === 0 && ackSync));
      this.acked.clear();
    }
    if (this.written.size === 0 && this.acks.length === 0) return;
    const written = [...this.written];
    this.written.clear();
    // A stream whose sync failed acknowledges nothing of this turn: its publishers get an error instead.
    const failed = new Map<Stream, string>();
    // Under a sync_interval the acks do not wait for the fsync, but the messages still go to the OS first,
    // so a process crash loses no acknowledged message (a power loss can lose up to one interval).
    if (this.settings.syncIntervalMs >= 0) {
      for (const s of written) {
        try {
          if (this.settings.syncIntervalMs === 0 && s.config.persist_mode !== 'async') s.store.sync();
          else s.store.flush();
        } catch (e) {
          const text = (e as Error).message;
          this.log.error(`JetStream: sync of stream ${s.name} failed: ${text}`);
          failed.set(s, text);
        }
      }
    }
    const acks = this.acks;
    this.acks = [];
    for (const a of acks) {
      const err = failed.get(a.stream);
      if (a.frames !== undefined) {
        if (err === undefined) this.client.publishFramed(a.frames);
        else for (const reply of framedRoutes(a.frames)) this.client.publish(reply, '', undefined, storeFailedAck(a.stream, err));
        continue;
      }
      const body = err === undefined ? a.body : storeFailedAck(a.stream, err);
      this.client.publish(a.reply, '', undefined, body);
    }
    for (const s of written) s.notifyConsumers();
  }

  /** Bytes stored in streams of one storage type. */
  usage(storage: 'file' | 'memory'): number {
    let n = 0;
    for (const s of this.streams.values()) if (s.config.storage === storage) n += s.store.state().bytes;
    return n;
  }

  /** The server limit for a storage type, or -1. */
  storageLimit(storage: 'file' | 'memory'): number {
    return storage === 'memory' ? this.settings.maxMemoryStore : this.settings.maxFileStore;
  }

  captureAllowed(config: StreamConfig): boolean {
    if (this.settings.syncIntervalMs <= 0 && config.persist_mode !== 'async') return false;
    // The control plane checks the limits exactly; the capture does not, so it stops well before them: at half
    // the server's limit, and at half the account's or when less than CAPTURE_ACCOUNT_MARGIN is left of it (the
    // capture is re-enabled or not once per tick, and must not store past the account's limit in between).
    const usage = this.usage(config.storage);
    const limit = this.storageLimit(config.storage);
    if (limit > 0 && usage >= limit / 2) return false;
    const account = accountStorageLimit(this.limits, config.storage);
    return account < 0 || (usage < account / 2 && account - usage >= CAPTURE_ACCOUNT_MARGIN);
  }

  storageFull(storage: 'file' | 'memory'): boolean {
    const limit = this.storageLimit(storage);
    return limit > 0 && this.usage(storage) >= limit;
  }

  /** Bytes the account may still store of a storage type (Infinity without a limit); 0 or less: full. */
  accountHeadroom(storage: 'file' | 'memory'): number {
    const limit = accountStorageLimit(this.limits, storage);
    return limit < 0 ? Infinity : limit - this.usage(storage);
  }

  logError(e: unknown): void {
    this.log.error(`JetStream API error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }

  private syncAll(asyncOnly = false): void {
    for (const s of this.streams.values()) if (!asyncOnly || s.config.persist_mode === 'async') s.store.sync();
  }

  /** Rewrite a durable consumer's o.dat if it changed since the last write; fsync unless a sync_interval duration is set. */
  private saveConsumerState(c: Consumer, fsync = this.settings.syncIntervalMs <= 0): void {
    if (c.config.durable_name === undefined || this.savedVersion.get(c) === c.stateVersion) return;
    const s = this.streams.get(c.streamName);
    if (s === undefined || s.consumers.get(c.name) !== c) return;
    try {
      saveConsumerState(s.dir, c.name, c.savedState(), fsync);
      this.savedVersion.set(c, c.stateVersion);
    } catch (e) {
      this.log.error(`JetStream: could not save consumer '${s.name} > ${c.name}': ${(e as Error).message}`);
    }
  }

  /** The consumer the last ack was for, by its `<stream>.<consumer>` bytes: acks come in runs for one. */
  private lastAckKey = Buffer.alloc(0);
  private lastAcked: Consumer | undefined;

  /** An ack, read from the delivery batch's bytes (no string per plain ack, one lookup per run of acks). */
  private onAck(buf: Buffer, f: FrameView): void {
    const t = readAckSubject(buf, f.subjectStart, f.subjectEnd);
    if (t === undefined) return;
    let c = this.lastAcked;
    const keyLen = t.keyEnd - t.keyStart;
    if (c === undefined || c.stopped || keyLen !== this.lastAckKey.length || this.lastAckKey.compare(buf, t.keyStart, t.keyEnd) !== 0) {
      const key = buf.toString('utf8', t.keyStart, t.keyEnd);
      const dot = key.indexOf('.');
      c = this.streams.get(key.slice(0, dot))?.consumers.get(key.slice(dot + 1));
      if (c === undefined) return;
      this.lastAcked = c;
      this.lastAckKey = Buffer.from(buf.subarray(t.keyStart, t.keyEnd));
    }
    const reply = f.replyEnd > f.replyStart ? buf.toString('utf8', f.replyStart, f.replyEnd) : '';
    c.onAck(t.sseq, readAck(buf, f.bodyStart, f.bodyEnd), reply);
    // An AckSync's reply must come after the state is written; plain acks are saved by the tick (100 ms).
    if (c.config.durable_name !== undefined && reply !== '') this.acked.set(c, true);
  }

  private onFlowControl(subject: string): void {
    const t = subject.split('.');
    this.streams.get(t[2] as string)?.consumers.get(t[3] as string)?.onFlowControl(subject);
  }

  private tick(): void {
    const nowMs = Date.now();
    const now = nowNs();
    const limited =
      this.storageLimit('file') > 0 || this.storageLimit('memory') > 0 || this.limits.max_memory >= 0 || this.limits.max_storage >= 0;
    this.feeds.tick();
    for (const s of this.streams.values()) {
      if (limited) s.updateCapture(); // usage moves toward a storage limit
      if (expireStream(s, now)) for (const c of s.consumers.values()) c.streamChanged();
      for (const c of [...s.consumers.values()]) {
        if (!c.tick(nowMs)) this.deleteConsumer(s, c.name);
        else this.saveConsumerState(c); // deliveries since the last write
      }
    }
  }

  createStream(config: StreamConfig): Stream {
    const created = nowNs();
    const dir = join(this.dir, config.name);
    mkdirSync(dir, { recursive: true });
    const s = new Stream(this, config, created, dir);
    this.streams.set(config.name, s);
    s.subscribe();
    this.saveMeta(s);
    this.feeds.streamAdded(s);
    return s;
  }

  deleteStream(s: Stream): void {
    for (const c of s.consumers.values()) c.stop();
    s.consumers.clear();
    s.unsubscribe();
    s.store.destroy();
    this.streams.delete(s.name);
    this.feeds.streamRemoved(s);
    this.written.delete(s);
    rmSync(s.dir, { recursive: true, force: true });
  }

  addConsumer(s: Stream, name: string, config: ConsumerConfig): Consumer {
    const c = new Consumer(this, s, name, config, nowNs());
    s.consumers.set(name, c);
    s.updateCapture();
    if (config.durable_name !== undefined) {
      this.saveMeta(s);
      this.saveConsumerState(c);
    }
    return c;
  }

  deleteConsumer(s: Stream, name: string): boolean {
    const c = s.consumers.get(name);
    if (c === undefined) return false;
    c.stop();
    s.consumers.delete(name);
    s.updateCapture();
    this.acked.delete(c);
    if (c.config.durable_name !== undefined) removeConsumerFiles(s.dir, name);
    return true;
  }

  /** Stream config and creation time, and each durable consumer's, written next to the store. */
  saveMeta(s: Stream): void {
    saveStreamMeta(s.dir, s.config, s.created);
    const durables = new Set<string>();
    for (const c of s.consumers.values()) {
      if (c.config.durable_name === undefined) continue;
      durables.add(c.name);
      saveConsumerMeta(s.dir, c.name, c.config, c.created);
    }
    removeStaleConsumers(s.dir, durables);
  }

  /** Bring back every stream folder with a meta file, logging as nats-server does and what recovery repaired. */
  private restore(): void {
    for (const name of readdirSync(this.dir)) {
      const dir = join(this.dir, name);
      try {
        const saved = loadStream(dir);
        if (saved === undefined) continue;
        const started = Date.now();
        const account = this.client.account;
        this.log.info(`  Starting restore for stream '${account} > ${saved.config.name}'`);
        const config = normalizeStreamConfig(saved.config, Math.max(this.maxPayload, saved.config.max_msg_size));
        const s = new Stream(this, config, saved.created, dir);
        this.logRecovery(s);
        const dropped = config.allow_atomic === true ? dropPartialBatch(s.store) : 0;
        if (dropped > 0) {
          this.log.warn(`  Removed ${dropped} messages of an uncommitted batch from stream '${account} > ${config.name}'`);
        }
        s.rebuildDedup();
        this.streams.set(config.name, s);
        s.subscribe();
        const msgs = s.store.state().msgs;
        this.log.info(`  Restored ${msgs} messages for stream '${account} > ${config.name}' in ${Date.now() - started}ms`);
        if (saved.consumers.length > 0) {
          this.log.info(`  Recovering ${saved.consumers.length} consumers for stream - '${account} > ${config.name}'`);
        }
        for (const c of saved.consumers) {
          const consumer = new Consumer(this, s, c.name, c.config, c.created);
          if (c.state !== undefined) consumer.restoreState(c.state);
          else this.log.warn(`  Consumer '${account} > ${config.name} > ${c.name}' has no readable state, starting from its config`);
          this.savedVersion.set(consumer, consumer.stateVersion);
          s.consumers.set(c.name, consumer);
        }
        s.updateCapture();
      } catch (e) {
        this.log.error(`JetStream: could not restore stream ${name}: ${(e as Error).message}`);
      }
    }
    if (this.streams.size > 0) this.log.info(`JetStream: restored ${this.streams.size} stream(s)`);
    for (const s of this.streams.values()) this.feeds.streamAdded(s);
  }

  /** A file store's recovery report: repairs are warnings, in the `Filestore [<stream>]` form nats-server uses. */
  private logRecovery(s: Stream): void {
    const r = s.store.recoveryReport();
    if (r === null) return;
    for (const p of r.problems) this.log.warn(`Filestore [${s.name}] ${p}`);
    if (r.problems.length > 0) {
      this.log.warn(`Filestore [${s.name}] recovered ${r.msgs} messages from ${r.segments} blocks after repairs`);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.coldStorage.close();
    if (this.syncTimer !== undefined) clearInterval(this.syncTimer);
    for (const s of this.streams.values()) for (const c of s.consumers.values()) this.saveConsumerState(c);
    this.syncAll();
  }
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomId(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return s;
}

function storeFailedAck(stream: Stream, err: string): string {
  return JSON.stringify({ error: apiError('StreamStoreFailed', { err }), stream: stream.name, seq: 0 });
}

/** The route subjects of framed publish records (`InternalClient.publish`'s layout): the replies of framed acks. */
function framedRoutes(frames: Buffer): string[] {
  const out: string[] = [];
  let o = 0;
  while (o < frames.length) {
    const routeLen = frames.readUInt32LE(o);
    out.push(frames.toString('utf8', o + 4, o + 4 + routeLen));
    o += 4 + routeLen;
    o += 4 + frames.readUInt32LE(o);
    o += 4 + frames.readUInt32LE(o);
    o += 4;
    o += 4 + frames.readUInt32LE(o);
  }
  return out;
}
