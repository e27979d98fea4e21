// The server's own client: subscribes and publishes inside the engine through an internal (socketless)
// connection on the main thread (native/core/src/engine/internal.rs). JetStream uses it for `$JS.API.>`,
// stream subjects and acks; the system account's services can use it the same way.
//
// Subscriptions go to the engine at once as SUB/UNSUB ops. Publishes are length-prefixed records routed by
// `Engine::publish_internal`, which can route by one subject and show another.
//
// Batching: the engine hands this client all its deliveries of a loop turn as one buffer of MSG/HMSG frames
// (`onDeliveries`), read frame by frame into one reused `FrameView`. Ordinary handlers get strings and views
// per message; raw handlers (stream capture) get the byte ranges and may keep them until their `flush`, which
// runs before any other handler and at the end of the batch (a stream stores its run in one native call).
// Then the batch-end hooks run once (JetStream's group commit: one store sync for every publish of the turn,
// then the acks); then everything published meanwhile goes to the engine in one `send`. Publishes made outside a batch (timers) are sent together on the next turn.

import type { InternalPort } from '../conn/engine-host.js';
import type { NativeStoreApi } from '../native/index.js';

/** A delivered message. The buffers are views into the batch buffer, valid for the handler call only. */
export type MsgHandler = (subject: string, reply: string, hdr: Buffer | undefined, body: Buffer) => void;

/**
 * A delivered message as byte ranges of the batch buffer (see `FrameView`), for handlers that want no strings
 * per message. `flush` is called before any other subscription's message is handled and at the end of the
 * batch, while `buf` is still valid: a raw handler may keep offsets into `buf` until then.
 */
export interface RawHandler {
  onFrame(buf: Buffer, f: FrameView): void;
  flush(): void;
}

/** Opens an internal connection (EngineHost.openInternal). */
export type InternalOpener = (account: string, onDeliveries: (bytes: Buffer) => void) => InternalPort;

const CRLF = Buffer.from('\r\n');

export class InternalClient {
  private readonly port: InternalPort;
  private readonly handlers = new Map<number, MsgHandler | RawHandler>();
  /** The raw handler that last took a message of the current batch: flushed before anything else runs. */
  private rawOpen: RawHandler | undefined;
  private readonly frame = newFrameView();
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

  subscribe(subject: string, handler: MsgHandler | RawHandler, queue?: string): string {
    const sid = String(this.nextSid);
    this.handlers.set(this.nextSid++, handler);
    this.port.send(Buffer.from(queue !== undefined ? `SUB ${subject} ${queue} ${sid}\r\n` : `SUB ${subject} ${sid}\r\n`));
    return sid;
  }

  /** Serve a stream's direct gets inside the engine, on every worker thread; returns an id for `removeService`. */
  serveDirectGet(stream: string, store: NativeStoreApi, apiLevel: number): number {
    return this.port.serveDirectGet(stream, store, apiLevel);
  }

  /**
   * Let the engine store a stream's header-less publishes on the thread that receives them, in place of this
   * client's subscriptions `sids` (which get what it declines); returns an id for `removeService`.
   */
  serveCapture(stream: string, store: NativeStoreApi, sids: string[], onStored: () => void): number {
    return this.port.serveCapture(stream, store, sids, onStored);
  }

  removeService(id: number): void {
    this.port.removeService(id);
  }

  unsubscribe(sid: string): void {
    if (!this.handlers.delete(Number(sid))) return;
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
    // One queued Buffer (a turn with one delivery batch) goes as it is: the engine copies what it routes.
    const batch = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
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

  private flushRaw(): void {
    const r = this.rawOpen;
    if (r === undefined) return;
    this.rawOpen = undefined;
    r.flush();
  }

  private onDeliveries(bytes: Buffer): void {
    this.inBatch = true;
    try {
      const f = this.frame;
      for (let pos = readFrame(bytes, 0, f); pos >= 0; pos = readFrame(bytes, pos, f)) {
        const h = this.handlers.get(f.sid);
        if (h === undefined) continue;
        if (typeof h === 'function') {
          this.flushRaw();
          h(...frameParts(bytes, f));
        } else {
          if (this.rawOpen !== h) this.flushRaw();
          this.rawOpen = h;
          h.onFrame(bytes, f);
        }
      }
      this.flushRaw();
      for (const hook of this.batchEnd) hook();
    } finally {
      this.rawOpen = undefined;
      this.inBatch = false;
    }
    this.flush();
  }
}

/**
 * Where one MSG/HMSG frame's parts lie in the batch buffer: `[start, end)` byte ranges. One object is reused
 * for every frame of a batch, so it is valid during one handler call only.
 */
export interface FrameView {
  sid: number;
  subjectStart: number;
  subjectEnd: number;
  replyStart: number;
  replyEnd: number;
  /** The header block is [hdrStart, bodyStart); empty for MSG. */
  hdrStart: number;
  bodyStart: number;
  bodyEnd: number;
}

export function newFrameView(): FrameView {
  return { sid: 0, subjectStart: 0, subjectEnd: 0, replyStart: 0, replyEnd: 0, hdrStart: 0, bodyStart: 0, bodyEnd: 0 };
}

const SPACE = 0x20;
const CR = 0x0d;

/** Token boundaries of the frame being read (module scope: no array per frame). */
const TOKENS = new Int32Array(8);

function readInt(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (buf[i] as number) - 0x30;
  return n;
}

/**
 * Read the frame at `pos` into `f` (no strings, no copies); returns where the next frame starts, or -1 at the
 * end. The engine framed them itself (`MSG <subject> <sid> [reply] <size>`, `HMSG <subject> <sid> [reply]
 * <hdr> <total>`), so they are well formed and complete.
 */
export function readFrame(buf: Buffer, pos: number, f: FrameView): number {
  if (pos >= buf.length) return -1;
  const eol = buf.indexOf(CR, pos);
  if (eol < 0) return -1;
  const isH = buf[pos] === 0x48;
  let p = pos + (isH ? 5 : 4);
  f.subjectStart = p;
  p = buf.indexOf(SPACE, p);
  f.subjectEnd = p;
  const sidStart = p + 1;
  p = buf.indexOf(SPACE, sidStart);
  f.sid = readInt(buf, sidStart, p);
  // The remaining tokens: [reply] size, or [reply] hdr total.
  const t = TOKENS;
  let n = 0;
  let start = p + 1;
  for (let i = start; i <= eol && n < 3; i++) {
    if (i === eol || buf[i] === SPACE) {
      t[n * 2] = start;
      t[n * 2 + 1] = i;
      n++;
      start = i + 1;
    }
  }
  const sizes = isH ? 2 : 1;
  const hasReply = n > sizes;
  f.replyStart = hasReply ? (t[0] as number) : 0;
  f.replyEnd = hasReply ? (t[1] as number) : 0;
  const k = hasReply ? 2 : 0;
  const hdrLen = isH ? readInt(buf, t[k] as number, t[k + 1] as number) : 0;
  const total = readInt(buf, t[k + (isH ? 2 : 0)] as number, t[k + (isH ? 3 : 1)] as number);
  f.hdrStart = eol + 2;
  f.bodyStart = f.hdrStart + hdrLen;
  f.bodyEnd = f.hdrStart + total;
  return f.bodyEnd + 2;
}

/** Walk the MSG/HMSG frames the engine wrote for an internal connection, with strings and views. */
export function decodeFrames(
  buf: Buffer,
  each: (sid: string, subject: string, reply: string, hdr: Buffer | undefined, body: Buffer) => void,
): void {
  const f = newFrameView();
  for (let pos = readFrame(buf, 0, f); pos >= 0; pos = readFrame(buf, pos, f)) {
    each(String(f.sid), ...frameParts(buf, f));
  }
}

function frameParts(buf: Buffer, f: FrameView): [string, string, Buffer | undefined, Buffer] {
  return [
    buf.toString('utf8', f.subjectStart, f.subjectEnd),
    f.replyEnd > f.replyStart ? buf.toString('utf8', f.replyStart, f.replyEnd) : '',
    f.bodyStart > f.hdrStart ? buf.subarray(f.hdrStart, f.bodyStart) : undefined,
    buf.subarray(f.bodyStart, f.bodyEnd),
  ];
}
