// The server: the client listener, the threads that own connections, and the lifecycle (lame duck, shutdown).
//
// Connections are spread round-robin over `workers` EngineHosts: one on this (main) thread and one in each
// data worker thread. All of them route through one Rust router, so a message published on any connection
// reaches subscribers on every thread. See docs/ARCHITECTURE.md.

import { createServer, type Server as NetServer, type Socket } from 'node:net';

import { delay, EngineHost } from './conn/engine-host.js';
import { createRouter, releaseRouter, setAccountImports, setAccountMappings, type EngineStats } from './native/index.js';
import { routerMappings } from './config/mappings.js';
import { routerImports } from './auth/account-imports.js';
import type { Options } from './config/options.js';
import type { AuthConfig } from './auth/config.js';
import type { TlsSettings } from './net/tls-settings.js';
import type { ServerIdentity } from './info.js';
import type { Logger } from './log.js';
import { newServerId } from './server-id.js';
import { WorkerSet } from './workers/worker-set.js';
import { detachFd } from './conn/socket-fd.js';
import type { HostSnapshot, MonitorQuery } from './monitor/snapshot.js';
import { startWebSocketListener, type WebSocketListener, type WsTransport } from './net/websocket-listener.js';
import { WebSocketClientSocket } from './conn/websocket-socket.js';

/** Largest WebSocket frame accepted (unless max_pending is larger). */
const MAX_WS_FRAME_BYTES = 64 * 1024 * 1024;

/** The WebSocket listener could not be started (nats-server's fatal "Unable to listen for websocket ..."). */
export class WebSocketListenError extends Error {
  override name = 'WebSocketListenError';
}
import { applyAccountLimits, startJetStream } from './jetstream/start.js';
import { jetStreamConfig, type JetStreamView } from './monitor/jetstream.js';
import type { JetStreamService } from './jetstream/service.js';
import { SystemService } from './system/service.js';

export class Server {
  readonly identity: ServerIdentity;
  readonly startTime = new Date();
  /** When the configuration was last loaded: startup, then each successful reload (/varz). */
  configLoadTime = new Date();
  /** `sha256:…` of the config file as nats-server computes it ('' without one); /varz `config_digest`. */
  configDigest = '';
  private readonly clockOrigin = Date.now();
  private routerId = -1;
  private local: EngineHost | undefined;
  private readonly workers = new WorkerSet();
  private listener: NetServer | undefined;
  /**
   * Clients accepted while start() still creates the hosts (the listeners must be bound first: INFO names
   * their ports); admitted once the hosts exist. Undefined from then on.
   */
  private earlyAccepts: (() => void)[] | undefined = [];
  private wsListener: WebSocketListener | undefined;
  private nextCid = 1;
  private nextHost = 0;
  private connCount = 0;
  private totalConnections = 0;
  private lameDuck = false;
  private shuttingDown = false;
  private jetstream: JetStreamService[] = [];
  /** What monitoring reports about JetStream, when it is on (src/monitor/jetstream.ts). */
  jetStream: JetStreamView | undefined;
  /** The system account's events and `$SYS.REQ` services (src/system). */
  system: SystemService | undefined;
  /** The router holds account import tables (so a reload that removes every import must clear them). */
  private importsInstalled = false;
  private mappingsInstalled = false;

  constructor(
    /** Replaced by a config reload. */
    public options: Options,
    private readonly log: Logger,
    private auth?: AuthConfig,
    private tls?: TlsSettings,
  ) {
    const serverId = newServerId();
    this.identity = { serverId, serverName: options.serverName !== '' ? options.serverName : serverId, port: 0 };
  }

  get serverId(): string {
    return this.identity.serverId;
  }

  get serverName(): string {
    return this.identity.serverName;
  }

  /** The bound client port, known after start(). */
  get port(): number {
    return this.identity.port;
  }

  /** The bound WebSocket port, when a WebSocket listener is configured and started. */
  get websocketPort(): number | undefined {
    return this.identity.websocket?.port;
  }

  get isLameDuck(): boolean {
    return this.lameDuck;
  }

  get connectionCount(): number {
    return this.connCount;
  }

  /** Bind the client listener and start the worker threads. Resolves once connections are accepted. */
  async start(): Promise<void> {
    // Accepted sockets start paused: one that goes to a worker must not be read on this thread.
    const listener = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
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
    this.identity.port = typeof address === 'object' && address !== null ? address.port : port;
    if (this.options.websocket.port !== 0) await this.startWebSocket();

    const threads = Math.max(1, this.options.workers);
    this.routerId = createRouter(threads);
    this.installImports();
    this.installMappings();
    const settings = (worker: number) => ({
      options: this.options,
      identity: { ...this.identity },
      routerId: this.routerId,
      worker,
      clockOrigin: this.clockOrigin,
      auth: this.auth,
      tls: this.tls,
    });
    this.local = new EngineHost(settings(0), this.log);
    if (this.options.jetstream) {
      this.jetstream = startJetStream(this.local, this.options, this.serverName, this.log, this.auth);
      this.jetStream = { config: jetStreamConfig(this.options), services: this.jetstream };
    }
    this.local.onConnectionClosed = () => this.connCount--;
    this.workers.onConnectionClosed = () => this.connCount--;
    this.workers.onRotateLog = () => this.log.rotateIfOverLimit();
    if (this.systemAccount !== '') {
      const local = this.local;
      const open = (acc: string, onDeliveries: (bytes: Buffer) => void) => local.openInternal(acc, onDeliveries);
      // Every account a client can be in: $G, the configured ones, an operator's preloaded ones.
      const accounts = ['$G', ...this.configuredAccounts, ...(this.auth?.operator?.accounts.keys() ?? [])];
      const system = new SystemService(open, this.systemAccount, this, this.log, accounts);
      this.system = system;
      local.onClientEvent = (ev) => system.clientEvent(ev);
      this.workers.onClientEvent = (ev) => system.clientEvent(ev);
    }
    await this.workers.start(threads - 1, (i) => settings(i + 1));
    if (threads > 1) this.log.info(`Serving clients on ${threads} threads`);
    const early = this.earlyAccepts ?? [];
    this.earlyAccepts = undefined;
    for (const admitEarly of early) admitEarly();
  }

  /** The accounts' subject mappings (src/config/mappings.ts) into the router: one native call, at start and reload. */
  private installMappings(): void {
    if (this.auth === undefined) return;
    const json = routerMappings(this.auth);
    if (json !== undefined || this.mappingsInstalled) setAccountMappings(this.routerId, json ?? '{}');
    this.mappingsInstalled = json !== undefined;
  }

  private installImports(): void {
    if (this.auth === undefined) return;
    const imports = routerImports(this.auth);
    for (const skipped of imports.skipped) this.log.debug(`Error adding account import: ${skipped}`);
    if (imports.json !== undefined || this.importsInstalled) setAccountImports(this.routerId, imports.json ?? '{}');
    this.importsInstalled = imports.json !== undefined;
  }

  /**
   * Apply a reloaded configuration (planned by src/config/reload.ts): the account import tables (one native
   * call), then every thread's limits, INFO and clients (one message per worker thread). Resolves when
   * every thread has checked its clients again. `logging`: worker threads rebuild their loggers.
   */
  async reload(options: Options, auth: AuthConfig, tls: TlsSettings | undefined, logging: boolean): Promise<void> {
    if (this.shuttingDown) return;
    this.options = options;
    this.auth = auth;
    this.tls = tls;
    this.configLoadTime = new Date();
    this.installImports();
    this.installMappings();
    applyAccountLimits(this.jetstream, auth);
    await Promise.all([this.local?.reload(options, auth, tls), this.workers.reload(options, auth, tls, logging)]);
  }

  /**
   * A reload lowered max_connections below the number of clients: close the excess (this thread's clients
   * first, then each worker's), as nats-server does. Returns how many were closed.
   */
  async enforceMaxConnections(max: number): Promise<number> {
    if (max <= 0 || this.connCount <= max) return 0;
    const excess = this.connCount - max;
    let closed = this.local?.closeExcess(excess) ?? 0;
    for (let i = 0; i < this.workers.size && closed < excess; i++) closed += await this.workers.closeExcess(i, excess - closed);
    return closed;
  }

  /** Which implementation serves WebSocket clients ('uws' or 'ws'), once started. */
  get websocketImplementation(): string | undefined {
    return this.wsListener?.implementation;
  }

  /**
   * Bind the WebSocket listener. Its connections stay on the main thread's EngineHost: the listener's
   * sockets cannot be handed to another thread.
   */
  private async startWebSocket(): Promise<void> {
    const o = this.options;
    try {
      this.wsListener = await startWebSocketListener(
        {
          options: o.websocket,
          // nats-server sets no frame limit, and clients send their whole write buffer as one frame; a
          // listener still needs a bound, since it assembles a frame in memory before handing it over.
          maxFrameBytes: Math.max(MAX_WS_FRAME_BYTES, o.maxPending, o.maxPayload + o.maxControlLine),
          maxBufferedBytes: Math.min(2 ** 31 - 1, 2 * o.maxPending),
          maxHeldBytes: o.maxPending,
          log: this.log,
        },
        (transport) => this.acceptWebSocket(transport),
      );
    } catch (err) {
      throw new WebSocketListenError(
        `Unable to listen for websocket connections: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    this.identity.websocket = { host: o.websocket.host, port: this.wsListener.port };
  }

  private acceptWebSocket(transport: WsTransport) {
    return new WebSocketClientSocket(transport, (socket) => {
      if (this.earlyAccepts !== undefined) {
        this.earlyAccepts.push(() => this.adoptWebSocket(socket));
        return;
      }
      this.adoptWebSocket(socket);
    }).handlers;
  }

  private adoptWebSocket(socket: WebSocketClientSocket): void {
    // One that closed while it waited in earlyAccepts has nothing left to adopt.
    const admitted = socket.destroyed ? undefined : this.admit();
    if (admitted === undefined || this.local === undefined) socket.destroy();
    else this.local.adopt(socket, admitted.cid, admitted.refuse);
  }

  /** A client id for a new connection, and whether max_connections refuses it; undefined if not accepting. */
  private admit(): { cid: number; refuse: boolean } | undefined {
    if (this.shuttingDown || this.lameDuck || this.local === undefined) return undefined;
    const cid = this.nextCid++;
    this.connCount++;
    this.totalConnections++;
    const max = this.options.maxConnections;
    return { cid, refuse: max >= 0 && this.connCount > max };
  }

  private accept(socket: Socket): void {
    if (this.earlyAccepts !== undefined) {
      // Paused (pauseOnConnect) until admitted.
      this.earlyAccepts.push(() => this.accept(socket));
      return;
    }
    const admitted = this.admit();
    const local = this.local;
    if (admitted === undefined || local === undefined) {
      socket.destroy();
      return;
    }
    const cid = admitted.cid;
    if (admitted.refuse) {
      local.adopt(socket, cid, true);
      return;
    }
    const target = this.nextHost;
    this.nextHost = (this.nextHost + 1) % (this.workers.size + 1);
    if (target !== 0 && this.workers.handOver(target - 1, socket, cid)) return;
    const fd = detachFd(socket);
    if (fd !== undefined) local.adoptFd(fd, cid);
    else local.adopt(socket, cid);
  }

  /** Every thread's answer to one monitoring request: this thread's, then each worker's (one message each). */
  async monitorSnapshots(query: MonitorQuery): Promise<HostSnapshot[]> {
    const local = this.local?.monitorSnapshot(query);
    const workers = this.shuttingDown ? [] : await this.workers.monitorSnapshots(query);
    return [...(local !== undefined ? [local] : []), ...workers];
  }

  get totalConnectionCount(): number {
    return this.totalConnections;
  }

  get authRequired(): boolean {
    return this.local?.authRequired ?? false;
  }

  get systemAccount(): string {
    return this.auth?.systemAccount ?? '';
  }

  get configuredAccounts(): string[] {
    return this.auth?.accounts.map((a) => a.name) ?? [];
  }

  /** Counters summed over every thread. */
  async stats(): Promise<EngineStats & { connections: number; totalConnections: number }> {
    const parts = [...(this.local !== undefined ? [this.local.stats()] : []), ...(await this.workers.stats())];
    const sum = (k: keyof EngineStats) => parts.reduce((n, p) => n + p[k], 0);
    return {
      inMsgs: sum('inMsgs'),
      inBytes: sum('inBytes'),
      outMsgs: sum('outMsgs'),
      outBytes: sum('outBytes'),
      slowConsumers: sum('slowConsumers'),
      staleConnections: sum('staleConnections'),
      // The trie is shared, so every engine reports the same total.
      subscriptions: parts[0]?.subscriptions ?? 0,
      connections: this.connCount,
      totalConnections: this.totalConnections,
    };
  }

  /** The data workers reopen their log files (the main thread's logger is the caller's). */
  reopenWorkerLogs(): void {
    this.workers.reopenLogs();
  }

  /**
   * Lame-duck mode: stop accepting, tell clients (INFO with ldm), and after the grace period close them
   * spread over the rest of lame_duck_duration; then shut down.
   */
  async enterLameDuckMode(): Promise<void> {
    if (this.lameDuck || this.shuttingDown) return;
    this.lameDuck = true;
    this.log.info('Entering lame duck mode, stop accepting new clients');
    this.system?.lameDuck();
    this.closeListener();
    this.local?.announceLameDuck();
    this.workers.announceLameDuck();
    if (this.connCount > 0) {
      const grace = this.options.lameDuckGracePeriod;
      await delay(grace);
      if (this.connCount > 0 && !this.shuttingDown) {
        this.log.info('Closing existing clients');
        const windowMs = this.options.lameDuckDuration - grace;
        await Promise.all([
          this.local?.closeClientsSpread(windowMs, () => this.shuttingDown),
          this.workers.closeClients(windowMs),
        ]);
      }
    }
    await this.shutdown();
  }

  /** Graceful shutdown: stop accepting, flush what every client is owed, close every socket. */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.log.info('Initiating Shutdown...');
    this.closeListener();
    for (const js of this.jetstream) js.close();
    this.system?.close();
    await Promise.all([this.local?.shutdown(), this.workers.shutdown()]);
    if (this.routerId >= 0) releaseRouter(this.routerId);
    this.log.info('Server Exiting..');
  }

  /**
   * Stop accepting. Not awaited on purpose: net.Server's close callback waits for every accepted connection
   * to end, and closing them is what the caller does next.
   */
  private closeListener(): void {
    this.listener?.close();
    this.listener = undefined;
    this.wsListener?.close();
    this.wsListener = undefined;
  }
}
