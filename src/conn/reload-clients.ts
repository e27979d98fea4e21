// After a config reload every client is checked again, as nats-server's reloadAuthorization does
// (server/reload.go), in this order:
//   1. a client whose CONNECT named a user or nkey that is gone, or that now belongs to another account, is
//      closed without an error (reason "Client Closed"); it reconnects into its new place;
//   2. a client whose credentials no longer pass is closed with -ERR 'Authorization Violation';
//   3. any other client takes its user's (possibly new) permissions: each subscription they deny is removed
//      with -ERR 'Permissions Violation for Subscription to "s" (sid "n")' (one native call per client),
//      the client stays connected, and its publishes are checked against them from then on.

import type { AuthConfig } from '../auth/config.js';
import type { AuthGate } from '../auth/gate.js';
import { CloseReason, HAS_DIRTY, HAS_EVENTS, WireError } from '../native/abi.js';
import type { NativeEngine } from '../native/index.js';
import type { Logger } from '../log.js';
import type { ClientConnection } from './client-connection.js';

/** What a host lends the re-check of its clients. */
export interface ReloadHost {
  engine: NativeEngine;
  log: Logger;
  /** The host's current gate (read again after each await); undefined when authentication is off. */
  readonly gate: AuthGate | undefined;
  /** The configuration the clients were admitted under. */
  previous: AuthConfig | undefined;
  /** verify_and_map is on: the user comes from the client certificate. */
  tlsMap: boolean;
  /** The connection is still this host's and not closing. */
  isCurrent(conn: ClientConnection): boolean;
  /** Act on a native call's result bits (events, output to flush). */
  afterNative(flags: number): void;
  setExpiry(conn: ClientConnection, at: number | undefined): void;
}

interface ConnectCredentials {
  user?: unknown;
  nkey?: unknown;
  jwt?: unknown;
  auth_token?: unknown;
}

export async function recheckClient(host: ReloadHost, conn: ClientConnection): Promise<void> {
  // A client whose CONNECT is being decided is decided again under the new gate (EngineHost.authenticate).
  if (!host.isCurrent(conn) || conn.authPending) return;
  const connect = parseConnect(conn.connectJson);
  const gate = host.gate;
  if (gate === undefined) {
    if (conn.connectJson !== undefined && namedUser(connect) && hasUsers(host.previous)) return closeMoved(host, conn);
    if (conn.account !== '$G') return closeMoved(host, conn);
    // Everyone is admitted now, without restrictions (a client still to send CONNECT need not authenticate,
    // so its auth timer stops).
    if (conn.authTimer !== undefined) clearTimeout(conn.authTimer);
    conn.authTimer = undefined;
    host.afterNative(host.engine.authorize(conn.slot, '$G', null));
    host.setExpiry(conn, undefined);
    return;
  }
  if (conn.connectJson !== undefined && gate.movedOnReload(connect, conn.account, host.previous)) {
    return closeMoved(host, conn);
  }
  const tlsMap = host.tlsMap ? { peer: conn.tlsPeer } : undefined;
  const result = await gate.decide(conn.connectJson ?? '{}', conn.nonce, conn.ip, conn.connectionType, tlsMap);
  // Closed meanwhile, or a later reload replaced the gate and checks this client itself.
  if (!host.isCurrent(conn) || host.gate !== gate) return;
  if (!result.ok) {
    host.log.error(`${conn.logPrefix} - ${result.reason}`);
    if (result.revoked === true) {
      host.engine.closeWith(conn.slot, WireError.UserAuthenticationRevoked, CloseReason.AuthenticationRevoked);
    } else {
      host.engine.closeWith(conn.slot, WireError.AuthorizationViolation, CloseReason.AuthenticationViolation);
    }
    host.afterNative(HAS_EVENTS | HAS_DIRTY);
    return;
  }
  if (conn.connectJson !== undefined && result.account !== conn.account) return closeMoved(host, conn);
  const perms = result.permissions !== undefined ? JSON.stringify(result.permissions) : null;
  if (conn.connectJson === undefined) {
    // No CONNECT yet, and the new configuration admits a client without credentials (no_auth_user): as in
    // nats-server, it is registered as that user now; its CONNECT, when it comes, is decided again.
    conn.account = result.account;
    host.afterNative(host.engine.authorize(conn.slot, result.account, perms));
    return;
  }
  const removed = host.engine.setPermissions(conn.slot, perms);
  for (const r of removed) {
    const queue = r.queue !== undefined && r.queue !== null ? ` using queue "${r.queue}"` : '';
    host.log.info(`Removed sub "${r.subject}"${queue} (sid "${r.sid}") for ${authUser(connect, conn)} - not authorized`);
  }
  conn.user = result.user;
  host.setExpiry(conn, result.expiresAt);
  if (removed.length > 0) host.afterNative(HAS_DIRTY);
}

function closeMoved(host: ReloadHost, conn: ClientConnection): void {
  host.engine.closeWith(conn.slot, WireError.None, CloseReason.ClientClosed);
  host.afterNative(HAS_EVENTS | HAS_DIRTY);
}

function parseConnect(json: string | undefined): ConnectCredentials {
  if (json === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(json);
    return typeof parsed === 'object' && parsed !== null ? (parsed as ConnectCredentials) : {};
  } catch {
    return {};
  }
}

function namedUser(connect: ConnectCredentials): boolean {
  return (typeof connect.user === 'string' && connect.user !== '') || (typeof connect.nkey === 'string' && connect.nkey !== '');
}

function hasUsers(config: AuthConfig | undefined): boolean {
  return config !== undefined && (config.users.length > 0 || config.nkeys.length > 0 || config.username !== undefined);
}

/** nats-server's getAuthUser: how a client is named in the log line for a removed subscription. */
function authUser(connect: ConnectCredentials, conn: ClientConnection): string {
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  if (s(connect.nkey) !== '') return `Nkey ${JSON.stringify(s(connect.nkey))}`;
  if (s(connect.user) !== '') return `User ${JSON.stringify(s(connect.user))}`;
  if (s(connect.jwt) !== '') return `JWT User ${JSON.stringify(conn.user)}`;
  if (s(connect.auth_token) !== '') return 'Token "[REDACTED]"';
  return 'User "N/A"';
}
