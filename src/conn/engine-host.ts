// One thread's share of the server: a Rust engine and the client connections it owns.
//
// The main thread runs one EngineHost and each data worker thread runs another; they route to each other
// through the router they share in Rust. Data path per host: socket 'data' → engine.ingest (one native call per
// chunk) → flusher.schedule → one setImmediate per loop turn → takeDirty + takeOutbound → socket.write. When
// another worker forwards messages here, the router wakes this thread through `onInbox`, which drains them
// into the same outbound buffers.

import { Socket, type SocketConstructorOpts } from 'node:net';
import { randomInt } from 'node:crypto';

import { ClientConnection, type ClientSocket } from './client-connection.js';
import { OutboundFlusher } from './outbound-flusher.js';
import {
  CLOSE_REASON_TEXT,
  CloseReason,
  EVENT_CLOSE,
  EVENT_CONNECT,
  EVENT_OP_BEFORE_CONNECT,
  HAS_DIRTY,
  HAS_EVENTS,
  HAS_STALL,
  WireError,
} from '../native/abi.js';
import { createEngine, type EngineOptions, type EngineStats, type NativeEngine, type NativeStoreApi } from '../native/index.js';
import type { Options } from '../config/options.js';
import type { Logger } from '../log.js';
import { InfoBuilder, type ServerIdentity } from '../info.js';
import { AuthGate } from '../auth/gate.js';
import type { AuthConfig } from '../auth/config.js';
import { VerifyPool } from '../auth/verify-pool.js';
import { recheckClient } from './reload-clients.js';
import { HostMonitor } from '../monitor/host-monitor.js';
import type { HostSnapshot, MonitorQuery } from '../monitor/snapshot.js';
import { ServerTls } from '../net/tls-upgrade.js';
import type { TlsSettings } from '../net/tls-settings.js';
import { clientEventSubjects, type ClientEvent } from '../system/client-event.js';
import { serverInfoBase } from '../system/server-info.js';

/** Longest a closing socket may take to flush its last bytes before it is destroyed. */
const CLOSE_LINGER_MS = 1000;
/**
 * A publisher that feeds a backed-up consumer stops being read (nats-server stalls such a producer), giving the
 * consumer's socket time to drain before it reaches max_pending. The pause is re-checked every STALL_MS and
 * ends when no consumer is congested any more, or after STALL_MAX_MS (nats-server's cap per read) so a consumer that cannot keep up at
 * all still ends as a slow consumer rather than stopping its publishers.
 */
const STALL_MS = 2;
/**
 * The thread's one read buffer (a read never returns more than it holds). 256 KiB rather than libuv's 64 KiB:
 * a publisher ahead of the server is read, matched and forwarded in a quarter of the calls, posts and
 * wake-ups (measured: 1 KiB pub/sub 0.95-1.00x -> 1.06x of nats-server, docs/PERFORMANCE.md).
 */
const READ_BUFFER_BYTES = 256 * 1024;
const STALL_MAX_MS = 10;

export function engineOptions(o: Options, authEnabled = false, admitBeforeConnect = false): EngineOptions {
  return {
    trace: o.trace,
    maxTracedMsgLen: o.maxTracedMsgLen,
    traceHeaders: o.traceHeaders,
    maxPayload: o.maxPayload,
    maxControlLine: o.maxControlLine,
    maxPending: o.maxPending,
    maxSubscriptions: o.maxSubscriptions,
    pingIntervalMs: o.pingInterval,
    pingMax: o.pingMax,
    headersSupported: !o.noHeaderSupport,
    // Measured in native/core/benches/sublist.rs: ~10x faster on repeated subjects, self-bypassing when not.
    matchCache: 1024,
    authEnabled,
    admitBeforeConnect,
  };
}

export interface EngineHostSettings {
  options: Options;
  identity: ServerIdentity;
  routerId: number;
  worker: number;
  /** Milliseconds since the epoch at which the server started; all hosts share this clock origin. */
  clockOrigin: number;
  /** Authentication, when configured (plain data, so it can be posted to worker threads). */
  auth?: AuthConfig | undefined;
  /** TLS on the client port, when configured (plain data). */
  tls?: TlsSettings | undefined;
}

/** The control plane's handle on an internal connection. */
export interface InternalPort {
  /** Ingest a batch of protocol ops as if the internal connection had sent them. */
  send(ops: Buffer): void;
  /** Route a batch of length-prefixed messages (see Engine::publish_internal). */
  publish(batch: Buffer): void;
  /** Whether a client subscription in the account matches `subject`. */
  hasInterest(subject: string): boolean;
  /** Serve a stream's direct gets in the engine (every worker thread); returns an id for `removeService`. */
  serveDirectGet(stream: string, store: NativeStoreApi, apiLevel: number): number;
  /** Store a stream's header-less publishes on the receiving thread (see NativeEngine.registerCapture). */
  serveCapture(stream: string, store: NativeStoreApi, sids: string[], onStored: () => void): number;
  removeService(id: number): void;
}

export class EngineHost {
  private readonly engine: NativeEngine;
  /** Indexed by engine slot. */
  private readonly conns: (ClientConnection | undefined)[] = [];
  private connCount = 0;
  private readonly flusher: OutboundFlusher;
  /** Replaced on a config reload (max_payload, auth_required); keeps the lame-duck flag. */
  info: InfoBuilder;
  private options: Options;
  private readonly identity: ServerIdentity;
  private readonly clockOrigin: number;
  private tickTimer: NodeJS.Timeout | undefined;
  private readonly emptyWaiters: (() => void)[] = [];
  /** This thread's read buffer for sockets adopted by descriptor; valid only during one onread callback. */
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  /** Replaced on a config reload. */
  private auth: AuthGate | undefined;
  /** The configuration `auth` was built from (kept across reloads for nats-server's "moved" check). */
  private authConfig: AuthConfig | undefined;
  /** bcrypt and signature checks, for every AuthGate this host has (started on first use). */
  private readonly verifier = new VerifyPool();
  private readonly monitor: HostMonitor;
  /** Where client TLS terminates: in this thread, on the socket this host owns. Replaced on a reload. */
  private tls: ServerTls | undefined;
  /** Protocol tracing (-V): the engine keeps trace records, logged after each engine call (traceLog). */
  private tracing: boolean;
  /** Called when a connection's socket is gone (for the server-wide connection count). */
  onConnectionClosed: (cid: number) => void = () => {};
  /** Receives client connect/disconnect events for the system account (see src/system). */
  onClientEvent: ((event: ClientEvent) => void) | undefined;
  /** The system account's name: events are published there, so interest is checked there. */
  private readonly systemAccount: string;
  private readonly serverId: string;

  constructor(
    settings: EngineHostSettings,
    private readonly log: Logger,
  ) {
    this.options = settings.options;
    this.systemAccount = settings.auth?.systemAccount ?? '';
    this.serverId = settings.identity.serverId;
    this.identity = settings.identity;
    this.clockOrigin = settings.clockOrigin;
    this.tracing = this.options.trace && log.traceEnabled;
    this.auth = this.gateFor(settings.auth, this.options);
    this.authConfig = settings.auth;
    this.tls = settings.tls !== undefined ? new ServerTls(settings.tls) : undefined;
    this.engine = createEngine(
      engineOptions(this.options, this.auth !== undefined, this.auth?.admitsBeforeConnect === true),
      randomInt(0, 2 ** 32),
      settings.routerId,
      settings.worker,
      () => this.onInbox(),
    );
    const o = this.options;
    const monitoring = o.httpPort !== 0 || o.httpsPort !== 0;
    this.monitor = new HostMonitor(this.engine, monitoring, this.clockOrigin, o.maxClosedClients);
    this.flusher = new OutboundFlusher(this.engine, this.conns, () => this.nowMs());
    this.info = new InfoBuilder(settings.identity, this.options, this.auth?.required ?? false);
    this.engine.setNow(this.nowMs());
    this.engine.setTraceServer(JSON.stringify(serverInfoBase(this.identity, this.options)));
    this.startTickTimer();
  }

  private gateFor(config: AuthConfig | undefined, options: Options): AuthGate | undefined {
    const gate = config !== undefined ? new AuthGate(config, options.authTimeout, this.verifier) : undefined;
    return gate?.enabled === true ? gate : undefined;
  }

  private startTickTimer(): void {
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    // One timer drives every connection's ping timer and the write deadline check.
    const tickMs = Math.max(20, Math.min(1000, Math.floor(this.options.pingInterval / 4)));
    this.tickTimer = setInterval(() => this.tick(), tickMs);
  }

  /**
   * Config reload, as nats-server applies it: new limits for the engine (one native call; existing
   * connections' parsers take the new max_payload and max_control_line), a new INFO for new clients, and
   * every client checked again under the new authorization (see reload-clients.ts). Resolves when every
   * client has been checked.
   */
  async reload(options: Options, auth: AuthConfig | undefined, tls: TlsSettings | undefined): Promise<void> {
    const previous = this.authConfig;
    // New connections handshake with the new settings; established ones keep their session.
    if (JSON.stringify(tls) !== JSON.stringify(this.tls?.settings)) this.tls = tls !== undefined ? new ServerTls(tls) : undefined;
    const pingChanged = options.pingInterval !== this.options.pingInterval;
    this.options = options;
    this.tracing = options.trace && this.log.traceEnabled;
    this.auth = this.gateFor(auth, options);
    this.authConfig = auth;
    this.engine.configure(engineOptions(options, this.auth !== undefined, this.auth?.admitsBeforeConnect === true));
    this.engine.setTraceServer(JSON.stringify(serverInfoBase(this.identity, options)));
    const lameDuck = this.info.lameDuck;
    this.info = new InfoBuilder(this.identity, options, this.auth?.required ?? false);
    this.info.lameDuck = lameDuck;
    if (pingChanged) this.startTickTimer();
    const getGate = (): AuthGate | undefined => this.auth;
    const host = {
      engine: this.engine,
      log: this.log,
      get gate() {
        return getGate();
      },
      previous,
      tlsMap: this.tls?.settings.map === true,
      isCurrent: (conn: ClientConnection) => this.conns[conn.slot] === conn && conn.closeReason === 0,
      afterNative: (flags: number) => this.afterNative(flags),
      setExpiry: (conn: ClientConnection, at: number | undefined) => this.setExpiry(conn, at),
    };
    await Promise.all([...this.connections()].map((conn) => recheckClient(host, conn)));
    this.flusher.schedule();
  }

  /** After any engine call: act on its events (and trace records), and schedule the flush it asks for. */
  private afterNative(flags: number): void {
    if (flags & HAS_EVENTS) this.handleEvents();
    else if (this.tracing) this.traceLog();
    if (flags & HAS_DIRTY) this.flusher.schedule();
  }

  /**
   * A user JWT's expiry (or the end of its connect window): nats-server closes the client then with
   * `-ERR 'User Authentication Expired'`.
   */
  private setExpiry(conn: ClientConnection, at: number | undefined): void {
    if (conn.expiryTimer !== undefined) clearTimeout(conn.expiryTimer);
    conn.expiryTimer = undefined;
    if (at === undefined) return;
    // setTimeout's limit is about 24.8 days; a longer wait is re-armed when it ends.
    const wait = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1);
    conn.expiryTimer = setTimeout(() => {
      conn.expiryTimer = undefined;
      if (this.conns[conn.slot] !== conn || conn.closeReason !== 0) return;
      if (Date.now() < at) return this.setExpiry(conn, at);
      if (this.log.debugEnabled) this.log.debug(`${conn.logPrefix} - User Authentication Expired`);
      this.engine.closeWith(conn.slot, WireError.UserAuthenticationExpired, CloseReason.AuthenticationExpired);
      this.handleEvents();
    }, wait);
  }

  /** Milliseconds since the server started: the engine's clock. */
  nowMs(): number {
    return Date.now() - this.clockOrigin;
  }

  get connectionCount(): number {
    return this.connCount;
  }

  /** Clients must authenticate (INFO's auth_required). */
  get authRequired(): boolean {
    return this.auth?.required ?? false;
  }

  /**
   * Take ownership of an accepted socket. With `refuse`, the client gets INFO and then
   * `-ERR 'maximum connections exceeded'`, as nats-server does, and is closed.
   */
  adopt(socket: ClientSocket, cid: number, refuse = false): ClientConnection {
    return this.admit(socket, cid, refuse, true);
  }

  /**
   * Take ownership of a client socket's descriptor (accepted elsewhere and detached, see socket-fd.ts). The
   * socket is made with `onread`: libuv reads into this thread's one read buffer and each chunk is ingested
   * before the next read, so no Buffer is allocated per read and the stream machinery is skipped.
   */
  adoptFd(fd: number, cid: number): ClientConnection {
    // TLS reads its records through the stream: such a socket is made without onread, and the descriptor is
    // never written directly.
    if (this.tls !== undefined) return this.admit(new Socket({ fd, readable: true, writable: true }), cid, false, true);
    let conn: ClientConnection | undefined;
    const onread = {
      buffer: this.readBuffer,
      callback: (n: number): boolean => {
        if (conn !== undefined) this.onChunk(conn, this.readBuffer, n);
        return true;
      },
    };
    const socket = new Socket({ fd, readable: true, writable: true, onread } as SocketConstructorOpts);
    conn = this.admit(socket, cid, false, false, fd);
    return conn;
  }

  private admit(socket: ClientSocket, cid: number, refuse: boolean, listenForData: boolean, fd = -1): ClientConnection {
    const conn = new ClientConnection(cid, socket, this.nowMs());
    conn.fd = fd;
    conn.nonce = this.auth?.nonce();
    const slot = this.engine.openConn(this.info.forClient(conn), this.info.connectInfoForClient(conn));
    conn.slot = slot;
    this.conns[slot] = conn;
    this.connCount++;
    socket.setNoDelay(true);
    if (this.log.debugEnabled) this.log.debug(`${conn.logPrefix} - Client connection created`);
    // A refused client gets its -ERR in plaintext, as from nats-server, which refuses before the handshake.
    if (this.tls !== undefined && !refuse && conn.connectionType === 'STANDARD') {
      this.startTls(conn, this.tls);
      return conn;
    }
    this.listen(conn, listenForData);
    // Accepted sockets arrive paused; read from now on (a refused one too, so its close is seen at once).
    socket.resume();
    if (refuse) {
      // With handshake_first a TCP client gets no INFO in plaintext: nats-server sends only the -ERR (a
      // WebSocket client is not under the client port's TLS and gets INFO, then the -ERR).
      if (this.tls?.handshakeFirst === true && conn.connectionType === 'STANDARD') this.engine.takeOutbound(slot);
      this.log.error(`${conn.logPrefix} - maximum connections exceeded`);
      this.engine.closeWith(slot, WireError.MaxConnectionsExceeded, CloseReason.MaxConnectionsExceeded);
      this.handleEvents();
      return conn;
    }
    this.flusher.write(conn, this.engine.takeOutbound(slot));
    this.startAuthTimer(conn);
    return conn;
  }

  /** `listenForData` is false for a socket made with onread, whose reads skip the 'data' event. */
  private listen(conn: ClientConnection, listenForData = true): void {
    const socket = conn.socket;
    if (listenForData) socket.on('data', (chunk: Buffer) => this.onChunk(conn, chunk, chunk.length));
    socket.on('drain', () => this.flusher.onDrain(conn));
    socket.on('error', (err) => {
      if (this.log.debugEnabled) this.log.debug(`${conn.logPrefix} - Client connection error: ${err.message}`);
    });
    socket.on('close', () => this.onSocketClosed(conn));
  }

  /**
   * INFO in plaintext (unless handshake_first), then the handshake; from its end on, the connection's
   * socket is the TLS socket and everything proceeds as for plaintext. The auth timer starts after the
   * handshake, as in nats-server.
   */
  private startTls(conn: ClientConnection, tls: ServerTls): void {
    // Only STANDARD (TCP) connections come here, and their socket is a net.Socket.
    const raw = conn.socket as Socket;
    if (!tls.handshakeFirst) this.flusher.write(conn, this.engine.takeOutbound(conn.slot));
    // Nothing else may reach the socket in plaintext (a lame-duck INFO, say) until the handshake is done.
    this.engine.setBlocked(conn.slot, true);
    raw.on('error', () => {});
    if (this.log.debugEnabled) this.log.debug(`${conn.logPrefix} - Starting TLS client connection handshake`);
    conn.tlsPending = true;
    tls.handshake(raw, (outcome) => {
      conn.tlsPending = false;
      if (!outcome.ok) {
        if (this.log.debugEnabled) this.log.debug(`${conn.logPrefix} - TLS handshake error: ${outcome.reason}`);
        if (conn.closeReason === 0) conn.closeReason = CloseReason.TlsHandshakeError;
        this.onSocketClosed(conn);
        return;
      }
      conn.socket = outcome.socket;
      conn.fd = -1;
      conn.tlsPeer = outcome.peer;
      conn.tlsSession = {
        version: (outcome.socket.getProtocol() ?? '').replace(/^TLSv/, ''),
        cipherSuite: outcome.socket.getCipher()?.standardName ?? '',
        first: tls.handshakeFirst,
      };
      if (this.log.debugEnabled) this.log.debug(`${conn.logPrefix} - TLS handshake complete`);
      this.listen(conn);
      if (conn.closeReason !== 0) {
        // Shutdown or lame duck began during the handshake.
        this.flusher.flushNow(conn);
        conn.socket.end();
        return;
      }
      if (tls.handshakeFirst) this.flusher.write(conn, this.engine.takeOutbound(conn.slot));
      if (this.engine.setBlocked(conn.slot, false)) this.flusher.schedule();
      outcome.socket.resume();
      this.startAuthTimer(conn);
    });
  }

  private startAuthTimer(conn: ClientConnection): void {
    if (this.auth !== undefined) {
      conn.authTimer = setTimeout(() => {
        conn.authTimer = undefined;
        if (this.conns[conn.slot] !== conn || conn.closeReason !== 0) return;
        if (this.log.debugEnabled) this.log.debug(`${conn.logPrefix} - Authentication Timeout`);
        this.engine.closeWith(conn.slot, WireError.AuthenticationTimeout, CloseReason.AuthenticationTimeout);
        this.handleEvents();
      }, this.auth.timeoutMs);
    }
  }

  /**
   * A CONNECT arrived while auth is on: the engine holds the client's later input; stop reading the socket
   * too (bounding what is held) until the verdict.
   */
  private authenticate(conn: ClientConnection, json: string | undefined): void {
    const auth = this.auth;
    if (auth === undefined) return;
    conn.socket.pause();
    conn.authPending = true;
    // `json` undefined: the client's first op was not CONNECT (the no_auth_user exception).
    // verify_and_map is the client port's; a WebSocket client takes the websocket block's (never set here).
    const mapped = this.tls?.settings.map === true && conn.connectionType === 'STANDARD';
    const tlsMap = mapped ? { peer: conn.tlsPeer } : undefined;
    const decision =
      json === undefined
        ? auth.decideWithoutConnect(conn.ip, conn.connectionType)
        : auth.decide(json, conn.nonce, conn.ip, conn.connectionType, tlsMap);
    void decision.then((result) => {
      conn.authPending = false;
      if (this.conns[conn.slot] !== conn || conn.closeReason !== 0) return;
      // A reload replaced the authorization while this was decided: decide again under the new one (with
      // none, the client is admitted as every client then is).
      if (this.auth !== auth) {
        if (this.auth !== undefined) return this.authenticate(conn, json);
        this.afterNative(this.engine.authorize(conn.slot, '$G', null));
        if (!conn.stalled) conn.socket.resume();
        return;
      }
      if (!result.ok) {
        this.log.error(`${conn.logPrefix} - ${result.reason}`);
        this.reportClient(conn, 'auth_error', CLOSE_REASON_TEXT[CloseReason.AuthenticationViolation]);
        this.engine.closeWith(conn.slot, WireError.AuthorizationViolation, CloseReason.AuthenticationViolation);
        this.handleEvents();
        return;
      }
      if (conn.authTimer !== undefined) clearTimeout(conn.authTimer);
      conn.authTimer = undefined;
      conn.user = result.user;
      conn.account = result.account;
      // Checked again on a reload as the empty CONNECT it stands for.
      if (json === undefined) conn.connectJson = '{}';
      this.setExpiry(conn, result.expiresAt);
      const perms = result.permissions !== undefined ? JSON.stringify(result.permissions) : null;
      this.afterNative(this.engine.authorize(conn.slot, result.account, perms));
      if (!conn.stalled) conn.socket.resume();
      this.reportClient(conn, 'connect');
    });
  }

  /** `length` bytes at the start of `chunk` arrived; the engine copies what it must keep before returning. */
  private onChunk(conn: ClientConnection, chunk: Buffer, length: number): void {
    const flags = this.engine.ingest(conn.slot, chunk, length);
    this.afterNative(flags);
    if (flags & HAS_STALL && !conn.stalled) this.stall(conn);
  }

  private stall(conn: ClientConnection): void {
    conn.stalled = true;
    conn.socket.pause();
    let waited = 0;
    const check = (): void => {
      waited += STALL_MS;
      if (waited < STALL_MAX_MS && this.engine.congested() && !conn.socket.destroyed) {
        setTimeout(check, STALL_MS);
        return;
      }
      conn.stalled = false;
      if (!conn.socket.destroyed && conn.closeReason === 0) conn.socket.resume();
    };
    setTimeout(check, STALL_MS);
  }

  /** The router says other workers forwarded messages to this host's subscriptions. */
  private onInbox(): void {
    const flags = this.engine.drainInbox();
    if (this.tracing) this.traceLog();
    if (flags & HAS_EVENTS) this.handleEvents();
    // A wake-up is already its own loop callback carrying a whole batch: write now rather than a phase
    // later, which matters for request/reply latency across threads.
    if (flags & HAS_DIRTY) this.flusher.flush();
  }

  private tick(): void {
    const now = this.nowMs();
    this.afterNative(this.engine.tick(now));
    const deadline = this.options.writeDeadline;
    if (deadline > 0 && this.flusher.blocked.size > 0) {
      for (const conn of this.flusher.blocked) {
        if (now - conn.blockedSinceMs > deadline) {
          this.flusher.blocked.delete(conn);
          this.log.info(
            `${conn.logPrefix} - Slow Consumer Detected: WriteDeadline of ${deadline / 1000}s exceeded with ` +
              `${conn.socket.writableLength} total bytes.`,
          );
          this.engine.closeWith(conn.slot, WireError.None, CloseReason.SlowConsumerWriteDeadline);
          this.handleEvents();
        }
      }
    }
  }

  private handleEvents(): void {
    const events = this.engine.takeEvents();
    if (this.tracing) {
      // The trace lines of this engine call come first; the CONNECT line is logged before the client's
      // labels join its prefix (traceLog calls showLabels).
      for (const ev of events) {
        if (ev.kind === EVENT_CONNECT) this.conns[ev.conn]?.applyConnect(ev.json ?? '{}', true);
      }
      this.traceLog();
    }
    for (const ev of events) {
      const conn = this.conns[ev.conn];
      if (conn === undefined) continue;
      if (ev.kind === EVENT_CONNECT) {
        conn.connectJson = ev.json ?? '{}';
        if (!this.tracing) conn.applyConnect(ev.json ?? '{}');
        // From now on, other threads may write small batches to this socket while it is idle (with 2+ workers).
        if (conn.fd >= 0 && conn.socket.writableLength === 0 && conn.blockedSinceMs === 0) {
          this.engine.enableDirect(conn.slot, conn.fd);
        }
        if (this.auth !== undefined) this.authenticate(conn, ev.json ?? '{}');
        else this.reportClient(conn, 'connect');
      } else if (ev.kind === EVENT_OP_BEFORE_CONNECT) {
        this.authenticate(conn, undefined);
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
      this.log.info(`${conn.logPrefix} - Slow Consumer Detected: MaxPending of ${this.options.maxPending} Exceeded`);
    }
    if (reason === CloseReason.SlowConsumerPendingBytes || reason === CloseReason.SlowConsumerWriteDeadline) {
      // nats-server drops a slow consumer's backlog rather than flushing it.
      conn.socket.destroy();
      return;
    }
    if (conn.tlsPending) {
      // Mid-handshake: what the engine holds may not go out in plaintext (the handshake callback closes it).
      conn.socket.destroy();
      return;
    }
    this.flusher.flushNow(conn);
    conn.socket.end();
    setTimeout(() => conn.socket.destroy(), CLOSE_LINGER_MS).unref();
  }

  private onSocketClosed(conn: ClientConnection): void {
    if (this.conns[conn.slot] !== conn) return;
    if (conn.authTimer !== undefined) clearTimeout(conn.authTimer);
    if (conn.expiryTimer !== undefined) clearTimeout(conn.expiryTimer);
    this.flusher.blocked.delete(conn);
    const reason = CLOSE_REASON_TEXT[conn.closeReason || CloseReason.ClientClosed] ?? 'Unknown';
    this.monitor.recordClose(conn, reason, this.nowMs());
    this.reportClient(conn, 'disconnect', reason);
    this.engine.closeConn(conn.slot);
    this.conns[conn.slot] = undefined;
    this.connCount--;
    if (this.log.debugEnabled) {
      const why = CLOSE_REASON_TEXT[conn.closeReason || CloseReason.ClientClosed] ?? 'Unknown';
      this.log.debug(`${conn.logPrefix} - Client connection closed: ${why}`);
    }
    // Its subscriptions' DELSUB lines follow the close line, as in nats-server.
    if (this.tracing) this.traceLog(conn);
    this.onConnectionClosed(conn.cid);
    if (this.connCount === 0) {
      for (const wake of this.emptyWaiters.splice(0)) wake();
    }
  }

  /**
   * Log the engine's protocol trace records (`<slot> <text>` lines, see native/core/src/engine/trace.rs) as
   * nats-server's `[TRC] <client prefix> - <text>` lines. Only called when tracing is on. `closed`: a
   * connection whose slot was just freed, whose last records are still to be logged.
   */
  private traceLog(closed?: ClientConnection): void {
    const records = this.engine.takeTrace();
    if (records === '') return;
    let start = 0;
    while (start < records.length) {
      let end = records.indexOf('\n', start);
      if (end < 0) end = records.length;
      const space = records.indexOf(' ', start);
      const slot = Number(records.slice(start, space));
      const conn = this.conns[slot] ?? (closed?.slot === slot ? closed : undefined);
      const text = records.slice(space + 1, end);
      start = end + 1;
      if (conn === undefined) continue;
      this.log.trace(`${conn.logPrefix} - ${text}`);
      if (text.startsWith('<<- [CONNECT ')) conn.showLabels();
    }
  }

  /**
   * Tell the system account's service about a client's connect, disconnect or failed authentication, when
   * a client in the system account listens for it (a trie match per subject, per connection event). The
   * engine slot must still be open.
   */
  private reportClient(conn: ClientConnection, kind: ClientEvent['kind'], reason?: string): void {
    const report = this.onClientEvent;
    if (report === undefined || this.systemAccount === '') return;
    const subjects = clientEventSubjects(kind, conn.account, this.serverId);
    if (!subjects.some((s) => this.engine.hasInterest(this.systemAccount, s))) return;
    const event: ClientEvent = { kind, client: this.monitor.connRecord(conn, false) };
    if (kind !== 'connect') {
      event.client.stop = this.clockOrigin + this.nowMs();
      event.client.reason = reason ?? '';
    }
    report(event);
  }

  /**
   * Open an internal connection (the server's own client, see src/internal) in `account`. Its deliveries
   * reach `onDeliveries` once per loop turn as one buffer of MSG/HMSG frames; the returned `send` passes a
   * batch of protocol ops (SUB/UNSUB) to the engine, `publish` a batch of messages, each in one call.
   */
  openInternal(account: string, onDeliveries: (bytes: Buffer) => void): InternalPort {
    const slot = this.engine.openInternal(account);
    this.flusher.internal.set(slot, onDeliveries);
    return {
      send: (ops: Buffer) => this.afterNative(this.engine.ingest(slot, ops, ops.length)),
      publish: (batch: Buffer) => this.afterNative(this.engine.publishInternal(slot, batch)),
      hasInterest: (subject: string) => this.engine.hasInterest(account, subject),
      serveDirectGet: (stream: string, store: NativeStoreApi, apiLevel: number) =>
        this.engine.registerDirectGet(account, stream, store, apiLevel),
      serveCapture: (stream: string, store: NativeStoreApi, sids: string[], onStored: () => void) =>
        this.engine.registerCapture(account, stream, store, slot, sids, onStored),
      removeService: (id: number) => this.engine.removeService(id),
    };
  }

  /** Connections currently open, for monitoring. */
  *connections(): IterableIterator<ClientConnection> {
    for (const c of this.conns) if (c !== undefined) yield c;
  }

  stats(): EngineStats & { connections: number } {
    return { ...this.engine.stats(), connections: this.connCount };
  }

  /** What one monitoring request needs from this thread. */
  monitorSnapshot(query: MonitorQuery): HostSnapshot {
    return this.monitor.snapshot(query, this.connections(), this.connCount);
  }

  /**
   * A reload lowered max_connections: close up to `count` clients with `-ERR 'maximum connections exceeded'`,
   * as nats-server does. Returns how many were closed.
   */
  closeExcess(count: number): number {
    let closed = 0;
    for (const conn of this.connections()) {
      if (closed >= count) break;
      if (conn.closeReason !== 0) continue;
      this.log.error(`${conn.logPrefix} - maximum connections exceeded`);
      this.engine.closeWith(conn.slot, WireError.MaxConnectionsExceeded, CloseReason.MaxConnectionsExceeded);
      closed++;
    }
    if (closed > 0) this.handleEvents();
    return closed;
  }

  /** Lame-duck mode started: tell the clients that take asynchronous INFO. */
  announceLameDuck(): void {
    this.info.lameDuck = true;
    for (const conn of this.connections()) this.engine.sendAsyncInfo(conn.slot, this.info.forClient(conn));
    this.flusher.schedule();
  }

  /**
   * Close every client, spread over `windowMs` (at most 1 s apart, with jitter) so they do not all reconnect
   * elsewhere at the same instant, as nats-server does in lame-duck mode.
   */
  async closeClientsSpread(windowMs: number, stop: () => boolean): Promise<void> {
    const clients = [...this.connections()];
    if (clients.length === 0) return;
    const spacing = Math.min(1000, Math.max(windowMs, 1000) / clients.length);
    for (const conn of clients) {
      if (stop()) break;
      this.engine.closeWith(conn.slot, WireError.None, CloseReason.LameDuckMode);
      this.handleEvents();
      await delay(spacing / 2 + Math.random() * (spacing / 2));
    }
  }

  /** Flush what every client is owed, close every socket, stop the timer. Resolves when all are closed. */
  async shutdown(): Promise<void> {
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    this.tickTimer = undefined;
    this.flusher.flush();
    const closed = new Promise<void>((resolve) => {
      if (this.connCount === 0) resolve();
      else this.emptyWaiters.push(resolve);
    });
    for (const conn of this.connections()) {
      if (conn.closeReason === 0) conn.closeReason = CloseReason.ServerShutdown;
      if (conn.tlsPending) {
        conn.socket.destroy();
        continue;
      }
      this.flusher.flushNow(conn);
      conn.socket.end();
    }
    await Promise.race([closed, delay(CLOSE_LINGER_MS)]);
    for (const conn of this.connections()) conn.socket.destroy();
    void this.verifier.close();
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
