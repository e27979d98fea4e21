// Raw-socket NATS protocol helper (in the spirit of nats-server's test/test.go).
//
// All incoming bytes are accumulated in a buffer; `expect` waits (bounded) until the buffer
// starts with / matches what is expected and then consumes it, so a test asserts the exact
// byte stream the server sends.

import { Socket, connect as netConnect } from 'node:net';
import { sleep } from './server.js';
import { before, after, afterEach } from 'node:test';
import { startServer, type ServerHandle, type StartOptions } from './server.js';

export const CRLF = '\r\n';
export const DEFAULT_TIMEOUT = 3000;

export interface WireOptions {
  host?: string;
  /** Read and parse the initial INFO line (default true). */
  readInfo?: boolean;
  /**
   * Drop unsolicited server PINGs (nats-server sends its first PING ~2 s after CONNECT, then
   * every ping_interval) so long-ish tests see only the bytes they assert. Default true; the
   * stale-connection tests turn it off. They are dropped, never answered, so a test's own
   * writes are never interleaved with a PONG.
   */
  ignoreServerPings?: boolean;
  timeoutMs?: number;
}

export interface ServerInfo {
  server_id: string;
  server_name: string;
  version: string;
  proto: number;
  host: string;
  port: number;
  headers?: boolean;
  max_payload: number;
  client_id: number;
  client_ip?: string;
  ldm?: boolean;
  connect_info?: boolean;
  [k: string]: unknown;
}

function show(s: string): string {
  return JSON.stringify(s.length > 400 ? s.slice(0, 400) + `…(+${s.length - 400} bytes)` : s);
}

export class WireClient {
  readonly socket: Socket;
  /** Raw INFO line as received (including the trailing CRLF), when readInfo was set. */
  infoLine = '';
  info: ServerInfo = {} as ServerInfo;
  private buf: Buffer = Buffer.alloc(0);
  private closedFlag = false;
  private closeErr: Error | undefined;
  private waiters = new Set<() => void>();

  /** Number of unsolicited server PINGs dropped so far. */
  serverPings = 0;
  private ignorePings: boolean;
  /** Offset in buf of the next protocol-message boundary not yet scanned for PINGs. */
  private scanPos = 0;

  private constructor(socket: Socket, ignorePings: boolean) {
    this.socket = socket;
    this.ignorePings = ignorePings;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      if (this.ignorePings) this.scanPings();
      this.wake();
    });
    socket.on('error', (e) => {
      this.closeErr = e;
    });
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
    });
  }

  /** Walk whole protocol messages from scanPos, removing any "PING\r\n" found at a boundary. */
  private scanPings(): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const eol = this.buf.indexOf('\r\n', this.scanPos, 'latin1');
      if (eol < 0) return;
      const line = this.buf.toString('latin1', this.scanPos, eol);
      if (line === 'PING') {
        this.buf = Buffer.concat([this.buf.subarray(0, this.scanPos), this.buf.subarray(eol + 2)]);
        this.serverPings++;
        continue;
      }
      let next = eol + 2;
      if (line.startsWith('MSG ') || line.startsWith('HMSG ')) {
        const size = Number(line.split(' ').pop());
        if (!Number.isFinite(size) || size < 0) return;
        next += size + 2;
        if (next > this.buf.length) return;
      }
      this.scanPos = next;
    }
  }

  private consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.scanPos = Math.max(0, this.scanPos - n);
  }

  static async connect(port: number, opts: WireOptions = {}): Promise<WireClient> {
    const host = opts.host ?? '127.0.0.1';
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host, port });
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    const c = new WireClient(socket, opts.ignoreServerPings ?? true);
    if (opts.readInfo ?? true) {
      const m = await c.expect(/^INFO (\{[^\r\n]*\}) ?\r\n/, timeoutMs);
      c.infoLine = m[0];
      c.info = JSON.parse(m[1]) as ServerInfo;
    }
    return c;
  }

  /** Connect, read INFO, send CONNECT (verbose/pedantic off unless overridden) and sync with PING/PONG. */
  static async connectAndHandshake(port: number, connectOpts: Record<string, unknown> = {}): Promise<WireClient> {
    const c = await WireClient.connect(port);
    await c.send(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, ...connectOpts })}\r\n`);
    await c.pingPong();
    return c;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private waitChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Unconsumed received bytes (latin1 string, byte-exact). */
  pending(): string {
    return this.buf.toString('latin1');
  }

  /** Consume and return all unconsumed bytes. */
  drainPending(): string {
    const s = this.pending();
    this.consume(this.buf.length);
    return s;
  }

  send(data: string | Buffer): Promise<void> {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(new Error('send on a closed socket'));
        return;
      }
      this.socket.write(b, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Write `data` in pieces, pausing briefly between writes so they are separate reads on the server. */
  async sendSplit(pieces: Array<string | Buffer>, pauseMs = 2): Promise<void> {
    for (const p of pieces) {
      await this.send(p);
      await sleep(pauseMs);
    }
  }

  /**
   * Wait until the received bytes match `want`, then consume the matched bytes.
   * - string: the buffer must START with exactly this string (fails early on a mismatch).
   * - RegExp: matched against the buffer; consumes up to the end of the match. Anchor with ^
   *   to require it at the start.
   */
  async expect(want: string | RegExp, timeoutMs = DEFAULT_TIMEOUT): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (let i = 0; i < 1_000_000; i++) {
      const have = this.pending();
      if (typeof want === 'string') {
        if (have.length >= want.length) {
          if (have.startsWith(want)) {
            this.consume(want.length);
            const m = [want] as unknown as RegExpExecArray;
            m.index = 0;
            return m;
          }
          throw new Error(`expected ${show(want)} but received ${show(have)}`);
        }
        if (!want.startsWith(have)) {
          throw new Error(`expected ${show(want)} but received ${show(have)}`);
        }
      } else {
        const m = want.exec(have);
        if (m) {
          this.consume(m.index + m[0].length);
          return m;
        }
      }
      if (this.closedFlag) {
        throw new Error(`connection closed while expecting ${want instanceof RegExp ? String(want) : show(want)}; received ${show(have)}`);
      }
      const left = end - Date.now();
      if (left <= 0) break;
      await this.waitChange(Math.min(left, 200));
    }
    throw new Error(
      `timed out after ${timeoutMs} ms expecting ${want instanceof RegExp ? String(want) : show(want)}; received ${show(this.pending())}`,
    );
  }

  /**
   * Non-blocking: if `re` (should be ^-anchored) matches the received bytes now, consume the
   * match and return it; otherwise return undefined.
   */
  tryConsume(re: RegExp): RegExpExecArray | undefined {
    const m = re.exec(this.pending());
    if (!m) return undefined;
    this.consume(m.index + m[0].length);
    return m;
  }

  /** Send PING and expect exactly PONG next (a round-trip sync point). */
  async pingPong(timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    await this.send('PING\r\n');
    await this.expect('PONG\r\n', timeoutMs);
  }

  /** Wait until the server closes the connection. Does not consume pending bytes. */
  async waitClosed(timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (let i = 0; i < 1_000_000 && !this.closedFlag; i++) {
      const left = end - Date.now();
      if (left <= 0) break;
      await this.waitChange(Math.min(left, 200));
    }
    if (!this.closedFlag) {
      throw new Error(`connection not closed by server within ${timeoutMs} ms; pending ${show(this.pending())}`);
    }
  }

  /** Expect the exact bytes `want`, then nothing more, then the server closing the connection. */
  async expectThenClosed(want: string, timeoutMs = DEFAULT_TIMEOUT): Promise<void> {
    if (want.length) await this.expect(want, timeoutMs);
    await this.waitClosed(timeoutMs);
    const rest = this.pending();
    if (rest.length) throw new Error(`unexpected bytes before close: ${show(rest)}`);
  }

  /**
   * Assert nothing arrives for `ms`. Only for cases where the absence of bytes cannot be
   * checked with a PING/PONG sync point.
   */
  async expectNothing(ms: number): Promise<void> {
    const end = Date.now() + ms;
    for (let i = 0; i < 1_000_000; i++) {
      if (this.buf.length) throw new Error(`expected nothing but received ${show(this.pending())}`);
      const left = end - Date.now();
      if (left <= 0) return;
      await this.waitChange(left);
    }
  }

  /** Error seen on the socket, if any (e.g. ECONNRESET). */
  get error(): Error | undefined {
    return this.closeErr;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Build a MSG line + payload as the server sends it. */
export function msg(subject: string, sid: string | number, payload: string, reply?: string): string {
  const len = Buffer.byteLength(payload, 'latin1');
  return `MSG ${subject} ${sid}${reply ? ` ${reply}` : ''} ${len}\r\n${payload}\r\n`;
}

/** Build an HMSG as the server sends it. `hdr` is the full header block incl. NATS/1.0 line and blank line. */
export function hmsg(subject: string, sid: string | number, hdr: string, payload: string, reply?: string): string {
  const h = Buffer.byteLength(hdr, 'latin1');
  const t = h + Buffer.byteLength(payload, 'latin1');
  return `HMSG ${subject} ${sid}${reply ? ` ${reply}` : ''} ${h} ${t}\r\n${hdr}${payload}\r\n`;
}

/** Build an HPUB as a client sends it. */
export function hpub(subject: string, hdr: string, payload: string, reply?: string): string {
  const h = Buffer.byteLength(hdr, 'latin1');
  const t = h + Buffer.byteLength(payload, 'latin1');
  return `HPUB ${subject}${reply ? ` ${reply}` : ''} ${h} ${t}\r\n${hdr}${payload}\r\n`;
}

/** Build a PUB as a client sends it. */
export function pub(subject: string, payload: string, reply?: string): string {
  return `PUB ${subject}${reply ? ` ${reply}` : ''} ${Buffer.byteLength(payload, 'latin1')}\r\n${payload}\r\n`;
}

/**
 * The usual raw-socket suite setup: one server for the suite (started in `before`), clients closed after
 * each test, the server stopped at the end. Call inside a `describe`.
 */
export function useWireServer(start: StartOptions = {}) {
  let srv: ServerHandle | undefined;
  const clients: WireClient[] = [];
  const track = (c: WireClient): WireClient => {
    clients.push(c);
    return c;
  };
  before(async () => {
    srv = await startServer(start);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => {
    for (const c of clients.splice(0)) c.close();
    await srv?.stop();
  });
  const port = (): number => {
    if (srv === undefined) throw new Error('server not started');
    return srv.port;
  };
  return {
    get port(): number {
      return port();
    },
    track,
    /** A connected client that has read INFO and sent CONNECT with `connectOpts`. */
    handshake: async (connectOpts: Record<string, unknown> = {}) =>
      track(await WireClient.connectAndHandshake(port(), connectOpts)),
    /** A connected client that has only read INFO. */
    raw: async () => track(await WireClient.connect(port())),
  };
}
