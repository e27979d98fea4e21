// The server side of a client's TLS handshake, in the thread that owns the connection. The accepted socket
// (paused since accept) is wrapped in a TLSSocket over the same file descriptor, so the decrypted chunks
// it emits feed the engine exactly as plaintext chunks do (one native call per chunk).
//
// As nats-server does: the client has `timeoutMs` to complete the handshake, else it is closed without a
// word; a first record that is not a TLS handshake (a plaintext CONNECT, say) closes it at once; with
// `verify`, a client without a certificate that chains to the CA is refused.

import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

import { certIdentity, type CertIdentity } from '../auth/cert-identity.js';
import { serverSecureContext, type TlsSettings } from './tls-settings.js';

/** TLS record types a handshake may start with (Go accepts a handshake or an alert record first). */
const RECORD_HANDSHAKE = 0x16;
const RECORD_ALERT = 0x15;

export type TlsOutcome =
  | { ok: true; socket: TLSSocket; peer: CertIdentity | undefined }
  | { ok: false; reason: string };

export class ServerTls {
  private readonly context: SecureContext;

  constructor(readonly settings: TlsSettings) {
    this.context = serverSecureContext(settings);
  }

  get handshakeFirst(): boolean {
    return this.settings.handshakeFirst;
  }

  /**
   * Run the handshake on `raw`, which must be paused and unread. `done` is called once: with the TLS
   * socket (paused; its owner attaches listeners and resumes it), or with a failure, after which `raw`
   * has been destroyed.
   */
  handshake(raw: Socket, done: (outcome: TlsOutcome) => void): void {
    let finished = false;
    let tlsSocket: TLSSocket | undefined;
    const finish = (outcome: TlsOutcome): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      raw.off('close', onEarlyClose);
      if (!outcome.ok) {
        tlsSocket?.destroy();
        raw.destroy();
      }
      done(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'TLS handshake timeout' }), this.settings.timeoutMs);
    const onEarlyClose = (): void => finish({ ok: false, reason: 'connection closed during TLS handshake' });
    raw.once('close', onEarlyClose);

    // Look at the first bytes before OpenSSL does: nats-server closes a client whose first record is not
    // TLS without answering, where OpenSSL would send an alert.
    raw.once('data', (first: Buffer) => {
      raw.pause();
      if (finished) return;
      if (first[0] !== RECORD_HANDSHAKE && first[0] !== RECORD_ALERT) {
        finish({ ok: false, reason: 'first record does not look like a TLS handshake' });
        return;
      }
      // The TLSSocket takes the bytes already read from `raw` as the start of its input.
      raw.unshift(first);
      tlsSocket = this.wrap(raw, finish);
    });
    raw.resume();
  }

  private wrap(raw: Socket, finish: (outcome: TlsOutcome) => void): TLSSocket {
    const verify = this.settings.verify;
    const socket = new TLSSocket(raw, {
      isServer: true,
      secureContext: this.context,
      requestCert: verify,
      rejectUnauthorized: verify,
    });
    socket.pause();
    socket.once('secure', () => {
      // A standalone TLSSocket completes the handshake even for an untrusted certificate; check it here.
      const verifyError = (socket as unknown as { _handle?: { verifyError(): Error | null } })._handle?.verifyError();
      if (verify && (verifyError ?? null) !== null) {
        finish({ ok: false, reason: `client certificate not trusted: ${verifyError!.message}` });
        return;
      }
      let peer: CertIdentity | undefined;
      if (this.settings.map) {
        const cert = socket.getPeerX509Certificate();
        try {
          peer = cert !== undefined ? certIdentity(cert.raw) : undefined;
        } catch {
          peer = undefined;
        }
      }
      finish({ ok: true, socket, peer });
    });
    socket.once('error', (err) => finish({ ok: false, reason: (err as { reason?: string }).reason ?? err.message }));
    socket.once('close', () => finish({ ok: false, reason: 'connection closed during TLS handshake' }));
    return socket;
  }
}
