// The JetStream service of one account: its streams, the internal client it talks through, the group
// commit (one store sync per loop turn for every publish of the turn, then the acks), the timer tick, and
// the metadata files that let streams and durable consumers come back after a restart.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

import type { InternalClient } from '../internal/internal-client.js';
import type { Logger } from '../log.js';
import { parseAck, parseAckSubject } from './acks.js';
import { apiError } from './errors.js';
import { JsApi } from './api.js';
import { Consumer } from './consumer.js';
import type { JsContext } from './context.js';
import { type ConsumerConfig, normalizeStreamConfig, type StreamConfig } from './defaults.js';
import { Stream } from './stream.js';
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

interface StreamMeta {
  config: StreamConfig;
  created: string;
  consumers?: { name: string; config: ConsumerConfig; created: string }[];
}

export class JetStreamService implements JsContext {
  readonly streams = new Map<string, Stream>();
  private readonly written = new Set<Stream>();
  private acks: { stream: Stream; reply: string; body: string }[] = [];
  private readonly timer: NodeJS.Timeout;
  private syncTimer: NodeJS.Timeout | undefined;
  readonly api: JsApi;
  readonly dir: string;

  constructor(
    readonly client: InternalClient,
    readonly settings: JetStreamSettings,
    private readonly log: Logger,
  ) {
    this.dir = join(settings.storeDir, 'jetstream', client.account, 'streams');
    mkdirSync(this.dir, { recursive: true });
    this.api = new JsApi(this);
    client.onBatchEnd(() => this.commit());
    client.subscribe('$JS.API.>', (subject, reply, hdr, body) => this.api.handle(subject, reply, hdr, body));
    client.subscribe('$JS.ACK.>', (subject, reply, _hdr, body) => this.onAck(subject, reply, body));
    client.subscribe('$JS.FC.>', (subject) => this.onFlowControl(subject));
    this.restore();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    if (settings.syncIntervalMs > 0) {
      this.syncTimer = setInterval(() => this.syncAll(), settings.syncIntervalMs);
      this.syncTimer.unref();
    }
  }

  get maxPayload(): number {
    return this.settings.maxPayload;
  }

  get serverName(): string {
    return this.settings.serverName;
  }

  markWritten(stream: Stream): void {
    if (this.settings.syncIntervalMs === -1) stream.store.sync();
    this.written.add(stream);
  }

  queueAck(stream: Stream, reply: string, body: string): void {
    this.acks.push({ stream, reply, body });
  }

  advisory(subject: string, body: Record<string, unknown>): void {
    const full = { ...body, id: randomId(22), timestamp: rfc3339(nowNs()) };
    this.client.publish(subject, '', undefined, JSON.stringify(full));
  }

  /** End of a loop turn's deliveries: make the turn's publishes durable, then acknowledge them. */
  private commit(): void {
    if (this.written.size === 0 && this.acks.length === 0) return;
    const written = [...this.written];
    this.written.clear();
    // A stream whose sync failed acknowledges nothing of this turn: its publishers get an error instead.
    const failed = new Map<Stream, string>();
    if (this.settings.syncIntervalMs === 0) {
      for (const s of written) {
        try {
          s.store.sync();
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
      const body = err === undefined ? a.body : JSON.stringify({ error: apiError('StreamStoreFailed', { err }), stream: a.stream.name, seq: 0 });
      this.client.publish(a.reply, '', undefined, body);
    }
    for (const s of written) s.notifyConsumers();
  }

  logError(e: unknown): void {
    this.log.error(`JetStream API error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }

  private syncAll(): void {
    for (const s of this.streams.values()) s.store.sync();
  }

  private onAck(subject: string, reply: string, body: Buffer): void {
    const t = parseAckSubject(subject);
    if (t === undefined) return;
    const c = this.streams.get(t.stream)?.consumers.get(t.consumer);
    if (c === undefined) return;
    c.onAck(t.sseq, parseAck(body), reply);
  }

  private onFlowControl(subject: string): void {
    const t = subject.split('.');
    this.streams.get(t[2] as string)?.consumers.get(t[3] as string)?.onFlowControl(subject);
  }

  private tick(): void {
    const nowMs = Date.now();
    const now = nowNs();
    for (const s of this.streams.values()) {
      if (s.config.max_age > 0 && s.store.expire(now) > 0) for (const c of s.consumers.values()) c.streamChanged();
      for (const c of [...s.consumers.values()]) {
        if (!c.tick(nowMs)) this.deleteConsumer(s, c.name);
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
    return s;
  }

  deleteStream(s: Stream): void {
    for (const c of s.consumers.values()) c.stop();
    s.consumers.clear();
    s.unsubscribe();
    s.store.destroy();
    this.streams.delete(s.name);
    this.written.delete(s);
    rmSync(s.dir, { recursive: true, force: true });
  }

  addConsumer(s: Stream, name: string, config: ConsumerConfig): Consumer {
    const c = new Consumer(this, s, name, config, nowNs());
    s.consumers.set(name, c);
    if (config.durable_name !== undefined) this.saveMeta(s);
    return c;
  }

  deleteConsumer(s: Stream, name: string): boolean {
    const c = s.consumers.get(name);
    if (c === undefined) return false;
    c.stop();
    s.consumers.delete(name);
    if (c.config.durable_name !== undefined) this.saveMeta(s);
    return true;
  }

  /** Stream config, creation time and durable consumer configs, written next to the store. */
  saveMeta(s: Stream): void {
    const meta: StreamMeta = {
      config: s.config,
      created: s.created.toString(),
      consumers: [...s.consumers.values()]
        .filter((c) => c.config.durable_name !== undefined)
        .map((c) => ({ name: c.name, config: c.config, created: c.created.toString() })),
    };
    writeFileSync(join(s.dir, 'meta.json'), JSON.stringify(meta));
  }

  private restore(): void {
    for (const name of readdirSync(this.dir)) {
      const file = join(this.dir, name, 'meta.json');
      if (!existsSync(file)) continue;
      try {
        const meta = JSON.parse(readFileSync(file, 'utf8')) as StreamMeta;
        const config = normalizeStreamConfig(meta.config, Math.max(this.maxPayload, meta.config.max_msg_size));
        const s = new Stream(this, config, BigInt(meta.created), join(this.dir, name));
        this.streams.set(config.name, s);
        s.subscribe();
        for (const c of meta.consumers ?? []) {
          s.consumers.set(c.name, new Consumer(this, s, c.name, c.config, BigInt(c.created)));
        }
      } catch (e) {
        this.log.error(`JetStream: could not restore stream ${name}: ${(e as Error).message}`);
      }
    }
    if (this.streams.size > 0) this.log.info(`JetStream: restored ${this.streams.size} stream(s)`);
  }

  close(): void {
    clearInterval(this.timer);
    if (this.syncTimer !== undefined) clearInterval(this.syncTimer);
    this.syncAll();
  }
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomId(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return s;
}
