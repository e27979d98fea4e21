// One client socket and what the control plane knows about it. The Rust engine holds the protocol state
// (parser, subscriptions, outbound bytes) under the same slot number; this object holds the socket, the
// identity the client gave in CONNECT, and the bookkeeping for backpressure and closing.

/**
 * What the control plane needs of a client's transport: a TCP `net.Socket` as it is, or a WebSocket
 * connection through WebSocketClientSocket (src/conn/websocket-socket.ts).
 */
export interface ClientSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly destroyed: boolean;
  readonly writableLength: number;
  /** nats-server's connection type for `allowed_connection_types`; absent means STANDARD (TCP). */
  readonly connectionType?: string;
  /** `done` (plain TCP sockets only) runs once these bytes were handed to the kernel. */
  write(bytes: Buffer, done?: (err?: Error | null) => void): boolean;
  end(): unknown;
  destroy(): unknown;
  pause(): unknown;
  resume(): unknown;
  setNoDelay(noDelay?: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** Lets the transport read the connection's close reason (a WebSocket puts it in its close frame). */
  bindConnection?(owner: { readonly closeReason: number }): void;
}

import type { CertIdentity } from '../auth/cert-identity.js';

/** What /connz shows of a client's TLS session, in nats-server's terms. */
export interface TlsSessionInfo {
  /** e.g. "1.3" (Node's "TLSv1.3"). */
  version: string;
  /** The IANA cipher suite name, e.g. "TLS_AES_128_GCM_SHA256". */
  cipherSuite: string;
  /** The handshake came before INFO (handshake_first). */
  first: boolean;
}

export class ClientConnection {
  /** Client id: unique for the life of the process, never reused (INFO `client_id`, /connz `cid`). */
  readonly cid: number;
  /** Engine slot: reused after the connection is gone. Set right after the engine opens it. */
  slot = -1;
  /** The client's socket; with TLS, the TLSSocket once the handshake is done (the accepted socket before). */
  socket: ClientSocket;
  /** `STANDARD` or `WEBSOCKET`, as nats-server names them. */
  readonly connectionType: string;
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
  /** The flusher's callback for a piece written through Node while the rest waits in the engine (made once). */
  pieceWritten: ((err?: Error | null) => void) | undefined;
  /** Set once the connection is being closed; the CloseReason code. */
  closeReason = 0;
  /** Reading is paused briefly because this client publishes to a backed-up consumer. */
  stalled = false;
  /** The nonce sent in this client's INFO, when nkey or JWT auth is configured. */
  nonce: string | undefined;
  /**
   * The TLS handshake is under way: `socket` is still the raw socket and the engine holds this client's
   * output, which must not be written in plaintext; closing destroys the socket instead of flushing it.
   */
  tlsPending = false;
  /** The negotiated TLS session, for /connz: read once after the handshake (a closed TLSSocket forgets it). */
  tlsSession: TlsSessionInfo | undefined;
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

  constructor(cid: number, socket: ClientSocket, nowMs: number) {
    this.cid = cid;
    this.socket = socket;
    this.connectionType = socket.connectionType ?? 'STANDARD';
    socket.bindConnection?.(this);
    this.ip = socket.remoteAddress ?? '';
    this.port = socket.remotePort ?? 0;
    this.startMs = nowMs;
  }

  /**
   * nats-server's log prefix for a client: `ip:port - cid:N`, and after its CONNECT the client label
   * (`"v1.2.3:go:name"`) and `"<account>/<user label>"` when the client presented credentials, e.g.
   * `127.0.0.1:5000 - cid:5 - "v1.2.3:go:me" - "$G/user:a"`.
   */
  get logPrefix(): string {
    const base = `${this.ip}:${this.port} - cid:${this.cid}`;
    if (!this.labelled) return base;
    const ncs = clientLabel(this.version, this.lang, this.name);
    const label = this.authLabel === 'jwt:' ? `jwt:${this.user}` : this.authLabel;
    const acs = label !== '' ? `${this.account}/${label}` : '';
    if (ncs !== '' && acs !== '') return `${base} - ${JSON.stringify(ncs)} - ${JSON.stringify(acs)}`;
    if (ncs !== '') return `${base} - ${JSON.stringify(ncs)}`;
    if (acs !== '') return `${base} - ${JSON.stringify(acs)}`;
    return base;
  }

  /**
   * Record the CONNECT fields the control plane reports on. With `deferLabels` (protocol tracing), the prefix
   * gains the labels only at `showLabels`, so the traced CONNECT line itself has the bare prefix, as in
   * nats-server.
   */
  applyConnect(json: string, deferLabels = false): void {
    try {
      const o = JSON.parse(json) as Record<string, unknown>;
      if (typeof o.name === 'string') this.name = o.name;
      if (typeof o.lang === 'string') this.lang = o.lang;
      if (typeof o.version === 'string') this.version = o.version;
      this.authLabel = credentialLabel(o);
    } catch {
      // The engine already accepted this JSON; a failure here only loses the labels.
    }
    if (!deferLabels) this.labelled = true;
  }

  /** The CONNECT has been logged: later lines carry the client's labels. */
  showLabels(): void {
    this.labelled = true;
  }

  private labelled = false;
  /** nats-server's getAuthUserLabel: which credential the CONNECT carried. */
  private authLabel = '';
}

/** nats-server's `"v<version>:<lang>:<name>"`, leaving out what the client did not send. */
function clientLabel(version: string, lang: string, name: string): string {
  let ncs = version !== '' ? `v${version}` : '';
  if (lang !== '') ncs = version === '' ? lang : `${ncs}:${lang}`;
  if (name !== '') ncs = version === '' && lang === '' ? name : `${ncs}:${name}`;
  return ncs;
}

function credentialLabel(o: Record<string, unknown>): string {
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  if (text(o.nkey) !== '') return `nkey:${text(o.nkey)}`;
  if (text(o.user) !== '') return `user:${text(o.user)}`;
  if (text(o.jwt) !== '') return 'jwt:'; // the user's public key is added once authenticated (`user`)
  if (text(o.auth_token) !== '') return 'token';
  return '';
}
