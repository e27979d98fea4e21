// Authentication at the connection boundary: a nonce in INFO when nkeys or JWTs are in use, the auth timer,
// and the decision for each CONNECT. The Rust engine holds a client's input from its CONNECT until
// `decide` reports back, so nothing the client sends is parsed under an identity it has not proven.

import { Authenticator, type AuthResult, type ConnectRequest } from './authenticator.js';
import type { AuthConfig } from './config.js';
import type { CertIdentity } from './cert-identity.js';
import type { Verifier } from './verify-pool.js';

export class AuthGate {
  private readonly authenticator: Authenticator;
  readonly timeoutMs: number;

  /** `verifier`: where bcrypt and signatures are checked; shared by the gates a config reload replaces. */
  constructor(
    readonly config: AuthConfig,
    defaultTimeoutMs: number,
    verifier?: Verifier,
  ) {
    this.authenticator = new Authenticator(config, verifier !== undefined ? { verifier } : {});
    this.timeoutMs = config.timeoutMs ?? defaultTimeoutMs;
  }

  /**
   * nats-server's clientHasMovedToDifferentAccount, asked on a config reload: the CONNECT named a user or
   * nkey that no longer exists, or that now belongs to another account than `account`. Such a client is
   * closed without an error and reconnects into its new place. A client that named the single configured
   * user (`authorization { user, password }`) is closed when that user's name or password changed, as
   * nats-server 2.12 does. `previous` is the configuration the client was admitted under.
   */
  movedOnReload(connect: { user?: unknown; nkey?: unknown }, account: string, previous: AuthConfig | undefined): boolean {
    const config = this.authenticator.config;
    const nkey = typeof connect.nkey === 'string' ? connect.nkey : '';
    const user = typeof connect.user === 'string' ? connect.user : '';
    if (nkey !== '' && config.nkeys.length > 0) {
      const entry = config.nkeys.find((n) => n.nkey === nkey);
      return entry === undefined || entry.account !== account;
    }
    if (user === '') return false;
    if (config.users.length > 0) {
      const entry = config.users.find((u) => u.username === user);
      return entry === undefined || entry.account !== account;
    }
    if (previous?.username !== undefined && previous.username === user) {
      return config.username !== previous.username || config.password !== previous.password;
    }
    return false;
  }

  /** INFO's `auth_required`. */
  get required(): boolean {
    return this.authenticator.required;
  }

  /** Whether every CONNECT needs a decision (and the auth timer runs). */
  get enabled(): boolean {
    return this.authenticator.expectConnect;
  }

  /**
   * nats-server admits a client whose first op is not CONNECT as the no_auth_user when that is a password
   * user (client.go's parse: `RegisterUser` with the configured user), for telnet-style use.
   */
  get admitsBeforeConnect(): boolean {
    const name = this.config.noAuthUser;
    return name !== undefined && this.config.users.some((u) => u.username === name);
  }

  /** Decide on a client whose first op was not CONNECT (see admitsBeforeConnect). Never throws. */
  async decideWithoutConnect(clientIp: string, connectionType = 'STANDARD'): Promise<AuthResult> {
    return this.authenticator.authenticateWithoutConnect({ clientIp, connectionType });
  }

  /** A fresh nonce for INFO, or undefined when no method signs one. */
  nonce(): string | undefined {
    return this.authenticator.needsNonce ? this.authenticator.newNonce() : undefined;
  }

  /**
   * Decide on a CONNECT (its JSON as the client sent it). `connectionType` is nats-server's name for the
   * transport (STANDARD, WEBSOCKET), checked against `allowed_connection_types`. `tlsMap` is given when
   * verify_and_map is on, with the client certificate's identity. Never throws.
   */
  async decide(
    json: string,
    nonce: string | undefined,
    clientIp: string,
    connectionType = 'STANDARD',
    tlsMap?: { peer: CertIdentity | undefined },
  ): Promise<AuthResult> {
    let connect: ConnectRequest;
    try {
      connect = JSON.parse(json) as ConnectRequest;
    } catch {
      return { ok: false, reason: 'authentication error' };
    }
    return this.authenticator.authenticate(
      connect,
      nonce,
      tlsMap !== undefined ? { clientIp, connectionType, tlsMap } : { clientIp, connectionType },
    );
  }

  close(): void {
    this.authenticator.close();
  }
}
