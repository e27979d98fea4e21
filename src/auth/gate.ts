// Authentication at the connection boundary: a nonce in INFO when nkeys or JWTs are in use, the auth timer,
// and the decision for each CONNECT. The Rust engine holds a client's input from its CONNECT until
// `decide` reports back, so nothing the client sends is parsed under an identity it has not proven.

import { Authenticator, type AuthResult, type ConnectRequest } from './authenticator.js';
import type { AuthConfig } from './config.js';
import type { CertIdentity } from './cert-identity.js';

export class AuthGate {
  private readonly authenticator: Authenticator;
  readonly timeoutMs: number;

  constructor(config: AuthConfig, defaultTimeoutMs: number) {
    this.authenticator = new Authenticator(config);
    this.timeoutMs = config.timeoutMs ?? defaultTimeoutMs;
  }

  /** INFO's `auth_required`. */
  get required(): boolean {
    return this.authenticator.required;
  }

  /** Whether every CONNECT needs a decision (and the auth timer runs). */
  get enabled(): boolean {
    return this.authenticator.expectConnect;
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
