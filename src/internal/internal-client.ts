// The server's own client: subscribes and publishes inside the engine through an internal (socketless)
// connection on the main thread (native/core/src/engine/internal.rs). JetStream uses it for `$JS.API.>`,
// stream subjects and acks; the system account's services can use it the same way.
//
// Subscriptions go to the engine at once as SUB/UNSUB ops. Publishes are length-prefixed records routed by
// `Engine::publish_internal`, which can route by one subject and show another.
//
// Batching: the engine hands this client all its deliveries of a loop turn as one buffer of MSG/HMSG frames
// (`onDeliveries`). Handlers run per message; then the batch-end hooks run once (JetStream's group commit:
// one store sync for every publish of the turn, then the acks); then everything published meanwhile goes to
// the engine in one `send`. Publishes made outside a batch (timers) are sent together on the next turn.

import type { InternalPort } from '../conn/engine-host.js';

/** A delivered message. The buffers are views into the batch buffer, valid for the handler call only. */
export type MsgHandler = (subject: string, reply: string, hdr: Buffer | undefined, body: Buffer) => void;

/** Opens an internal connection (EngineHost.openInternal). */
export type InternalOpener = (account: string, onDeliveries: (bytes: Buffer) => void) => InternalPort;

const CRLF = Buffer.from('\r\n');

export class InternalClient {
  private readonly port: InternalPort;
  private readonly handlers = new Map<string, MsgHandler>();
  private nextSid = 1;
  /** Encoded publishes waiting to be sent, in order. */
  private pending: Buffer[] = [];
  private inBatch = false;
  private sendScheduled = false;
  private readonly batchEnd: (() => void)[] = [];

  constructor(
    open: InternalOpener,
    readonly account: string,
  ) {
    this.port = open(account, (bytes) => this.onDeliveries(bytes));
  }

  /** Run `hook` once after each batch of deliveries has been dispatched. */
  onBatchEnd(hook: () => void): void {
    this.batchEnd.push(hook);
  }

  subscribe(subject: string, handler: MsgHandler, queue?: string): string {
    const sid = String(this.nextSid++);
    this.handlers.set(sid, handler);
    this.port.send(Buffer.from(queue !== undefined ? `SUB ${subject} ${queue} ${sid}\r\n` : `SUB ${subject} ${sid}\r\n`));
    return sid;
  }

  unsubscribe(sid: string): void {
    if (!this.handlers.delete(sid)) return;
    this.port.send(Buffer.from(`UNSUB ${sid}\r\n`));
  }

  /**
   * Publish a message; `hdr` is a complete header block (`NATS/1.0…\r\n\r\n`) or undefined. With `routeTo`,
   * the message goes to the subscribers of `routeTo` but they see it on `subject` (JetStream deliveries).
   */
  publish(subject: string, reply: string, hdr: Buffer | undefined, body: Buffer | string = '', routeTo = subject): void {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const hdrLen = hdr?.length ?? 0;
    const route = Buffer.from(routeTo);
    const subj = routeTo === subject ? route : Buffer.from(subject);
    const rep = Buffer.from(reply);
    const prefix = Buffer.allocUnsafe(20 + route.length + subj.length + rep.length);
    let o = prefix.writeUInt32LE(route.length, 0);
    o += route.copy(prefix, o);
    o = prefix.writeUInt32LE(subj.length, o);
    o += subj.copy(prefix, o);
    o = prefix.writeUInt32LE(rep.length, o);
    o += rep.copy(prefix, o);
    o = prefix.writeUInt32LE(hdrLen, o);
    prefix.writeUInt32LE(hdrLen + payload.length, o);
    this.pending.push(prefix);
    if (hdr !== undefined && hdrLen > 0) this.pending.push(hdr);
    this.pending.push(payload);
    this.scheduleSend();
  }

  /** Queue publish records already framed in `publish`'s layout (a native delivery batch); `frames` is kept. */
  publishFramed(frames: Buffer): void {
    if (frames.length === 0) return;
    this.pending.push(frames);
    this.scheduleSend();
  }

  /** Whether a client (not the server itself) listens on `subject`. */
  hasInterest(subject: string): boolean {
    return this.port.hasInterest(subject);
  }

  /** Send every queued publish now, in one call. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = Buffer.concat(this.pending);
    this.pending = [];
    this.port.publish(batch);
  }

  private scheduleSend(): void {
    if (this.inBatch || this.sendScheduled) return;
    this.sendScheduled = true;
    setImmediate(() => {
      this.sendScheduled = false;
      this.flush();
    });
  }

  private onDeliveries(bytes: Buffer): void {
    this.inBatch = true;
    try {
      decodeFrames(bytes, (sid, subject, reply, hdr, body) => {
        const h = this.handlers.get(sid);
        if (h !== undefined) h(subject, reply, hdr, body);
      });
      for (const hook of this.batchEnd) hook();
    } finally {
      this.inBatch = false;
    }
    this.flush();
  }
}

/**
 * Walk the MSG/HMSG frames the engine wrote for an internal connection. The engine framed them itself, so
 * they are well formed and complete.
 */
export function decodeFrames(
  buf: Buffer,
  each: (sid: string, subject: string, reply: string, hdr: Buffer | undefined, body: Buffer) => void,
): void {
  let pos = 0;
  while (pos < buf.length) {
    const eol = buf.indexOf(CRLF, pos);
    if (eol < 0) return;
    const parts = buf.toString('utf8', pos, eol).split(' ');
    pos = eol + 2;
    if (parts[0] === 'HMSG') {
      const n = parts.length;
      const hdrLen = Number(parts[n - 2]);
      const total = Number(parts[n - 1]);
      const reply = n === 6 ? (parts[3] as string) : '';
      const hdr = buf.subarray(pos, pos + hdrLen);
      const body = buf.subarray(pos + hdrLen, pos + total);
      pos += total + 2;
      each(parts[2] as string, parts[1] as string, reply, hdr, body);
    } else if (parts[0] === 'MSG') {
      const n = parts.length;
      const size = Number(parts[n - 1]);
      const reply = n === 5 ? (parts[3] as string) : '';
      const body = buf.subarray(pos, pos + size);
      pos += size + 2;
      each(parts[2] as string, parts[1] as string, reply, undefined, body);
    }
  }
}
