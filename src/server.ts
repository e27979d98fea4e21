// The server: owns the Rust engine, the client listener, the connections and their lifecycle.
//
// Data path (see docs/ARCHITECTURE.md): socket 'data' → engine.ingest (one native call per chunk) →
// flusher.schedule → one setImmediate per loop turn → engine.takeDirty + takeOutbound → socket.write.
// Everything per message happens inside ingest; this file deals in connections and events.

import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { randomInt } from 'node:crypto';

import { ClientConnection } from './conn/client-connection.js';
import { OutboundFlusher } from './conn/outbound-flusher.js';
import { CLOSE_REASON_TEXT, CloseReason, EVENT_CLOSE, EVENT_CONNECT, HAS_DIRTY, HAS_EVENTS, WireError } from './native/abi.js';
import { createEngine, type EngineOptions, type NativeEngine } from './native/index.js';
import type { Options } from './config/options.js';
import type { Logger } from './log.js';
import { newServerId } from './server-id.js';
import { InfoBuilder } from './info.js';

/** Longest a closing socket may take to flush its last bytes before it is destroyed. */
const CLOSE_LINGER_MS = 1000;

export function engineOptions(o: Options): EngineOptions {
  return {
    maxPayload: o.maxPayload,
    maxControlLine: o.maxControlLine,
    maxPending: o.maxPending,
    maxSubscriptions: o.maxSubscriptions,
    pingIntervalMs: o.pingInterval,
    pingMax: o.pingMax,
    headersSupported: !o.noHeaderSupport,
    matchCache: 0,
  };
}

export class Server {
  readonly serverId = newServerId();
  readonly serverName: string;
  readonly startTime = new Date();
  /** The bound client port, known after start(). */
  port = 0;

  private readonly engine: NativeEngine;
  /** Indexed by engine slot. */
  private readonly conns: (ClientConnection | undefined)[] = [];
  private connCount = 0;
  private totalConnections = 0;
  private nextCid = 1;
  private readonly flusher: OutboundFlusher;
  private readonly info: InfoBuilder;
  private listener: NetServer | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private readonly clock0 = Date.now();
  private lameDuck = false;
  private shuttingDown = false;
  private readonly shutdownWaiters: (() => void)[] = [];

  constructor(
    readonly options: Options,
    private readonly log: Logger,
  ) {
    this.serverName = options.serverName !== '' ? options.serverName : this.serverId;
    this.engine = createEngine(engineOptions(options), randomInt(0, 2 ** 32));
    this.flusher = new OutboundFlusher(this.engine, this.conns, () => this.nowMs());
    this.info = new InfoBuilder(this, options);
  }

  /** Milliseconds since the server started: the engine's clock. */
  nowMs(): number {
    return Date.now() - this.clock0;
  }

  get isLameDuck(): boolean {
    return this.lameDuck;
  }

  get connectionCount(): number {
    return this.connCount;
  }

  /** Bind the client listener. Resolves once the server accepts connections. */
  async start(): Promise<void> {
    const listener = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.listener = listener;
    const port = this.options.port === -1 ? 0 : this.options.port;
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host: this.options.host, port, exclusive: true }, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    listener.on('error', (err) => this.log.error(`Client listener error: ${err.message}`));
    const address = listener.address();
    this.port = typeof address === 'object' && address !== null ? address.port : port;
    this.engine.setNow(this.nowMs());
    // One timer drives every connection's ping timer and the write deadline check.
    const tickMs = Math.max(20, Math.min(1000, Math.floor(this.options.pingInterval / 4)));
    this.tickTimer = setInterval(() => this.tick(), tickMs);
  }

  private accept(socket: Socket): void {
    if (this.shuttingDown || this.lameDuck) {
      socket.destroy();
      return;
    }
    const conn = new ClientConnection(this.nextCid++, socket, this.nowMs());
    const slot = this.engine.openConn(this.info.forClient(conn), this.info.connectInfoForClient(conn));
    conn.slot = slot;
    this.conns[slot] = conn;
    this.connCount++;
    this.totalConnections++;
    socket.on('data', (chunk: Buffer) => this.onChunk(conn, chunk));
    socket.on('drain', () => this.flusher.onDrain(conn));
    socket.on('error', (err) => {
      if (this.log.debugEnabled) this.log.debug(`${conn.logPrefix} - Client connection error: ${err.message}`);
    });
    socket.on('close', () => this.onSocketClosed(conn));
    if (this.log.debugEnabled) this.log.debug(`${conn.logPrefix} - Client connection created`);

    const max = this.options.maxConnections;
    if (max >= 0 && this.connCount > max) {
      this.log.error(`${conn.logPrefix} - Maximum connections exceeded`);
      this.engine.closeWith(slot, WireError.MaxConnectionsExceeded, CloseReason.MaxConnectionsExceeded);
      this.handleEvents();
      return;
    }
    this.flusher.write(conn, this.engine.takeOutbound(slot));
  }

  private onChunk(conn: ClientConnection, chunk: Buffer): void {
    const flags = this.engine.ingest(conn.slot, chunk);
    if (flags & HAS_EVENTS) this.handleEvents();
    if (flags & HAS_DIRTY) this.flusher.schedule();
  }

  private tick(): void {
    const now = this.nowMs();
    const flags = this.engine.tick(now);
    if (flags & HAS_EVENTS) this.handleEvents();
    if (flags & HAS_DIRTY) this.flusher.schedule();
    const deadline = this.options.writeDeadline;
    if (deadline > 0 && this.flusher.blocked.size > 0) {
      for (const conn of this.flusher.blocked) {
        if (now - conn.blockedSinceMs > deadline) {
          this.flusher.blocked.delete(conn);
          this.log.info(`${conn.logPrefix} - Slow Consumer Detected: WriteDeadline of ${deadline}ms Exceeded`);
          this.engine.closeWith(conn.slot, WireError.None, CloseReason.SlowConsumerWriteDeadline);
          this.handleEvents();
        }
      }
    }
  }

  private handleEvents(): void {
    for (const ev of this.engine.takeEvents()) {
      const conn = this.conns[ev.conn];
      if (conn === undefined) continue;
      if (ev.kind === EVENT_CONNECT) {
        conn.applyConnect(ev.json ?? '{}');
      } else if (ev.kind === EVENT_CLOSE) {
        this.closeConnection(conn, ev.reason);
      }
    }
  }

  /** Write what the engine still holds for this connection, then close its socket. */
  private closeConnection(conn: ClientConnection, reason: number): void {
    if (conn.closeReason !== 0) return;
    conn.closeReason = reason;
    if (reason === CloseReason.SlowConsumerPendingBytes) {
      this.log.info(
        `${conn.logPrefix} - Slow Consumer Detected: MaxPending of ${this.options.maxPending} Exceeded`,
      );
      conn.socket.destroy();
      return;
    }
    if (reason === CloseReason.SlowConsumerWriteDeadline) {
      conn.socket.destroy();
      return;
    }
    this.flusher.flushNow(conn);
    conn.socket.end();
    setTimeout(() => conn.socket.destroy(), CLOSE_LINGER_MS).unref();
  }

  private onSocketClosed(conn: ClientConnection): void {
    if (this.conns[conn.slot] !== conn) return;
    this.flusher.blocked.delete(conn);
    this.engine.closeConn(conn.slot);
    this.conns[conn.slot] = undefined;
    this.connCount--;
    if (this.log.debugEnabled) {
      const why = CLOSE_REASON_TEXT[conn.closeReason || CloseReason.ClientClosed] ?? 'Unknown';
      this.log.debug(`${conn.logPrefix} - Client connection closed: ${why}`);
    }
    if (this.connCount === 0) {
      for (const wake of this.shutdownWaiters.splice(0)) wake();
    }
  }

  /** Connections currently open, for monitoring. */
  *connections(): IterableIterator<ClientConnection> {
    for (const c of this.conns) if (c !== undefined) yield c;
  }

  stats(): ReturnType<NativeEngine['stats']> & { connections: number; totalConnections: number } {
    return { ...this.engine.stats(), connections: this.connCount, totalConnections: this.totalConnections };
  }

  /**
   * Lame-duck mode: stop accepting, tell clients (INFO with ldm), and after the grace period close them
   * spread over the rest of lame_duck_duration, at most one second apart; then shut down.
   */
  async enterLameDuckMode(): Promise<void> {
    if (this.lameDuck || this.shuttingDown) return;
    this.lameDuck = true;
    this.log.info('Entering lame duck mode, stop accepting new clients');
    await this.closeListener();
    this.info.lameDuck = true;
    for (const conn of this.connections()) this.engine.sendAsyncInfo(conn.slot, this.info.forClient(conn));
    this.flusher.schedule();
    if (this.connCount === 0) return this.shutdown();

    const grace = this.options.lameDuckGracePeriod;
    await delay(grace);
    const clients = [...this.connections()];
    if (clients.length > 0) {
      // Spread the closes over the rest of the duration (at least 1s), at most 1s apart and with jitter, so
      // the clients do not all reconnect elsewhere at the same instant.
      const window = Math.max(this.options.lameDuckDuration - grace, 1000);
      const spacing = Math.min(1000, window / clients.length);
      this.log.info('Closing existing clients');
      for (const conn of clients) {
        if (this.shuttingDown) break;
        this.engine.closeWith(conn.slot, WireError.None, CloseReason.LameDuckMode);
        this.handleEvents();
        await delay(spacing / 2 + Math.random() * (spacing / 2));
      }
    }
    await this.shutdown();
  }

  /** Graceful shutdown: stop accepting, flush what every client is owed, close every socket. */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.log.info('Initiating Shutdown...');
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    await this.closeListener();
    this.flusher.flush();
    const closed = new Promise<void>((resolve) => {
      if (this.connCount === 0) resolve();
      else this.shutdownWaiters.push(resolve);
    });
    for (const conn of this.connections()) {
      if (conn.closeReason === 0) conn.closeReason = CloseReason.ServerShutdown;
      this.flusher.flushNow(conn);
      conn.socket.end();
    }
    await Promise.race([closed, delay(CLOSE_LINGER_MS)]);
    for (const conn of this.connections()) conn.socket.destroy();
    this.log.info('Server Exiting..');
  }

  private closeListener(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    if (listener === undefined) return Promise.resolve();
    return new Promise((resolve) => listener.close(() => resolve()));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
