// The INFO line each client receives on connect (and again when lame-duck mode starts). Field names and
// order follow nats-server's Info struct; fields that do not apply are left out, as Go's omitempty does.

import type { Options } from './config/options.js';
import type { ClientConnection } from './conn/client-connection.js';
import { NATS_SERVER_LEVEL } from './version.js';

/** What INFO says about the server; the same on every thread. */
export interface ServerIdentity {
  serverId: string;
  serverName: string;
  port: number;
  /** The WebSocket listener, when one is configured: INFO to a WebSocket client names it instead. */
  websocket?: { host: string; port: number };
}

export class InfoBuilder {
  /** Set when lame-duck mode starts: INFO then carries `ldm: true`. */
  lameDuck = false;

  constructor(
    private readonly server: ServerIdentity,
    private readonly options: Options,
    private readonly authRequired = false,
  ) {}

  /** The complete INFO protocol line for one client. */
  forClient(conn: ClientConnection): Buffer {
    return this.build(conn, false);
  }

  /**
   * The INFO nats-server sends after the first PONG that follows a protocol-1 CONNECT: it confirms the
   * CONNECT was processed and names the client's account.
   */
  connectInfoForClient(conn: ClientConnection): Buffer {
    return this.build(conn, true);
  }

  private build(conn: ClientConnection, connectInfo: boolean): Buffer {
    const o = this.options;
    const ws = conn.connectionType === 'WEBSOCKET' ? this.server.websocket : undefined;
    const info: Record<string, unknown> = {
      server_id: this.server.serverId,
      server_name: this.server.serverName,
      version: NATS_SERVER_LEVEL,
      proto: 1,
      host: ws?.host ?? o.host,
      port: ws?.port ?? this.server.port,
      headers: !o.noHeaderSupport,
    };
    if (this.authRequired) info.auth_required = true;
    // Client-port TLS is for TCP clients; a WebSocket client's TLS is the websocket block's (no_tls here).
    // nats-server replaces only tls_required in the WebSocket INFO: tls_verify is left as the port's.
    if (o.tls && conn.connectionType === 'STANDARD') info.tls_required = true;
    if (o.tls && o.tlsVerify) info.tls_verify = true;
    info.max_payload = o.maxPayload;
    if (o.jetstream) info.jetstream = true;
    info.client_id = conn.cid;
    info.client_ip = conn.ip.startsWith('::ffff:') ? conn.ip.slice(7) : conn.ip;
    if (conn.nonce !== undefined) info.nonce = conn.nonce;
    if (this.lameDuck) info.ldm = true;
    if (connectInfo) {
      info.connect_info = true;
      info.remote_account = '$G';
    }
    // nats-server puts a space between the JSON and CRLF; some tools compare lines byte for byte.
    return Buffer.from(`INFO ${JSON.stringify(info)} \r\n`);
  }
}
