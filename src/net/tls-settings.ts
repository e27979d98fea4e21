// TLS for the client port, from Options to what each connection-owning thread needs: the PEM texts (read
// once at startup, plain data so they can be posted to worker threads) and the per-thread secure context.
// Defaults are nats-server's (GenTLSConfig in server/opts.go): TLS 1.2 at least, a client certificate
// required and checked against ca_file when `verify` is on.

import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';

import { OptionsError, type Options } from '../config/options.js';

/** What a thread needs to serve TLS. Plain data. */
export interface TlsSettings {
  certPem: string | undefined;
  keyPem: string | undefined;
  caPem: string | undefined;
  /** Require a client certificate that chains to the CA. */
  verify: boolean;
  /** Authenticate clients by their certificate (verify_and_map). */
  map: boolean;
  timeoutMs: number;
  /** TLS handshake before INFO. */
  handshakeFirst: boolean;
}

/** The lowest protocol version served (nats-server's MinVersion: tls.VersionTLS12). */
export const TLS_MIN_VERSION = 'TLSv1.2';

/**
 * Read and check the certificate files named by the options; undefined when TLS is off. Throws
 * OptionsError with nats-server's wording when a file cannot be read or parsed.
 */
export function loadTlsSettings(o: Options): TlsSettings | undefined {
  if (!o.tls) return undefined;
  const read = (path: string, prefix: string): string | undefined => {
    if (path === '') return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new OptionsError(`${prefix}${goOpenError(path, err)}`);
    }
  };
  const pair = 'error parsing X509 certificate/key pair: ';
  const settings: TlsSettings = {
    certPem: read(o.tlsCert, pair),
    keyPem: read(o.tlsKey, pair),
    caPem: read(o.tlsCaCert, ''),
    verify: o.tlsVerify,
    map: o.tlsMap,
    timeoutMs: o.tlsTimeout,
    handshakeFirst: o.tlsHandshakeFirst,
  };
  if (settings.caPem !== undefined && !/-----BEGIN CERTIFICATE-----/.test(settings.caPem)) {
    throw new OptionsError('failed to parse root ca certificate');
  }
  try {
    serverSecureContext(settings);
  } catch (err) {
    throw new OptionsError(`${pair}${err instanceof Error ? err.message : String(err)}`);
  }
  return settings;
}

/** A secure context for the server side of client connections. One per thread, made once. */
export function serverSecureContext(s: TlsSettings): SecureContext {
  return createSecureContext({
    ...(s.certPem !== undefined ? { cert: s.certPem } : {}),
    ...(s.keyPem !== undefined ? { key: s.keyPem } : {}),
    ...(s.caPem !== undefined ? { ca: s.caPem } : {}),
    minVersion: TLS_MIN_VERSION,
  });
}

/** Go's text for a failed os.ReadFile, e.g. `open x.pem: no such file or directory`. */
function goOpenError(path: string, err: unknown): string {
  const code = (err as { code?: string }).code;
  const reason =
    code === 'ENOENT' ? 'no such file or directory'
    : code === 'EACCES' ? 'permission denied'
    : code === 'EISDIR' ? 'is a directory'
    : err instanceof Error ? err.message : String(err);
  return code === 'EISDIR' ? `read ${path}: ${reason}` : `open ${path}: ${reason}`;
}
