// One client socket and what the control plane knows about it. The Rust engine holds the protocol state
// (parser, subscriptions, outbound bytes) under the same slot number; this object holds the socket, the
// identity the client gave in CONNECT, and the bookkeeping for backpressure and closing.

import type { Socket } from 'node:net';

import type { CertIdentity } from '../auth/cert-identity.js';

export class ClientConnection {
  /** Client id: unique for the life of the process, never reused (INFO `client_id`, /connz `cid`). */
  readonly cid: number;
  /** Engine slot: reused after the connection is gone. Set right after the engine opens it. */
  slot = -1;
  /** The client's socket; with TLS, the TLSSocket once the handshake is done (the accepted socket before). */
  socket: Socket;
  /**
   * The socket's descriptor when this thread made the socket from it (EngineHost.adoptFd): the flusher may
   * then write to it directly while Node has nothing queued. -1 otherwise (TLS, WebSocket, no descriptor).
   */
  fd = -1;
  readonly ip: string;
  readonly port: number;
  readonly startMs: number;
  /** From CONNECT, for logs and monitoring. */
  name = '';
  lang = '';
  version = '';
  /** Who authenticated ('' without auth or for a token) and into which account, for /connz. */
  user = '';
  account = '$G';
  /** Engine time (ms) when a socket write was last refused; 0 while writes flow. */
  blockedSinceMs = 0;
  /** Set once the connection is being closed; the CloseReason code. */
  closeReason = 0;
  /** Reading is paused briefly because this client publishes to a backed-up consumer. */
  stalled = false;
  /** The nonce sent in this client's INFO, when nkey or JWT auth is configured. */
  nonce: string | undefined;
  /** With verify_and_map: the identity in the client's certificate, read once after the handshake. */
  tlsPeer: CertIdentity | undefined;
  /** Closes the connection if it is not authenticated in time. */
  authTimer: NodeJS.Timeout | undefined;
  /** The CONNECT JSON as the client sent it, kept to check the client again on a config reload. */
  connectJson: string | undefined;
  /** A CONNECT is with the authenticator; a reload leaves such a client to that decision. */
  authPending = false;
  /** Closes the connection when its user JWT expires. */
  expiryTimer: NodeJS.Timeout | undefined;

  constructor(cid: number, socket: Socket, nowMs: number) {
    this.cid = cid;
    this.socket = socket;
    this.ip = socket.remoteAddress ?? '';
    this.port = socket.remotePort ?? 0;
    this.startMs = nowMs;
  }

  /** nats-server's log prefix for a client: `ip:port - cid:N`, plus `"version:lang:name"` once known. */
  get logPrefix(): string {
    const base = `${this.ip}:${this.port} - cid:${this.cid}`;
    if (this.name === '' && this.lang === '' && this.version === '') return base;
    return `${base} - "v${this.version}:${this.lang}:${this.name}"`;
  }

  /** Record the CONNECT fields the control plane reports on. */
  applyConnect(json: string): void {
    try {
      const o = JSON.parse(json) as { name?: unknown; lang?: unknown; version?: unknown };
      if (typeof o.name === 'string') this.name = o.name;
      if (typeof o.lang === 'string') this.lang = o.lang;
      if (typeof o.version === 'string') this.version = o.version;
    } catch {
      // The engine already accepted this JSON; a failure here only loses the labels.
    }
  }
}
