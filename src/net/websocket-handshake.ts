// nats-server's checks on a WebSocket upgrade request (server/websocket.go wsUpgrade/checkOrigin), shared by
// both listener implementations: the Origin policy (`same_origin`, `allowed_origins`), whether to offer
// permessage-deflate, and the configured extra response headers. The implementations do the RFC 6455
// mechanics (key, version, accept hash) themselves.

import type { WebsocketOptions } from '../config/options.js';
import type { Logger } from '../log.js';

/** An allowed origin, keyed by its lower-cased host. */
interface AllowedOrigin {
  scheme: string;
  port: string;
}

export type UpgradeVerdict =
  | { ok: true; compress: boolean }
  | { ok: false; status: number; statusText: string; reason: string };

export class HandshakePolicy {
  private readonly allowed = new Map<string, AllowedOrigin>();
  /** Extra headers for every upgrade response, in configuration order. */
  readonly headers: [string, string][];

  constructor(
    private readonly options: WebsocketOptions,
    log: Logger,
  ) {
    for (const origin of options.allowedOrigins) {
      const url = parseRequestUri(origin);
      if (url === undefined) {
        // nats-server logs and skips an allowed origin it cannot parse.
        log.error(`error parsing allowed origin: parse ${JSON.stringify(origin)}: invalid URI for request`);
        continue;
      }
      const { host, port } = hostAndPort(url.protocol === 'https:', url.host);
      this.allowed.set(host, { scheme: url.protocol.slice(0, -1), port });
    }
    this.headers = Object.entries(options.headers);
  }

  /** Decide on an upgrade request. `header` returns a request header by lower-case name ('' when absent). */
  check(header: (name: string) => string): UpgradeVerdict {
    const originError = this.checkOrigin(header);
    if (originError !== undefined) {
      return { ok: false, status: 403, statusText: 'Forbidden', reason: `origin not allowed: ${originError}` };
    }
    const compress = this.options.compression && offersPermessageDeflate(header('sec-websocket-extensions'));
    return { ok: true, compress };
  }

  /** undefined when the origin is acceptable, else why not (nats-server's words). */
  private checkOrigin(header: (name: string) => string): string | undefined {
    if (!this.options.sameOrigin && this.allowed.size === 0) return undefined;
    const origin = header('origin') || header('sec-websocket-origin');
    // No Origin: not a browser, and then the origin model says nothing (RFC 6455 section 1.6).
    if (origin === '') return undefined;
    const url = parseRequestUri(origin);
    if (url === undefined) return `parse ${JSON.stringify(origin)}: invalid URI for request`;
    const o = hostAndPort(url.protocol === 'https:', url.host);
    if (this.options.sameOrigin) {
      // The listener has no TLS, so the request's default port is 80.
      const r = hostAndPort(false, header('host'));
      if (o.host !== r.host || o.port !== r.port) return 'not same origin';
    }
    if (this.allowed.size > 0) {
      const allowed = this.allowed.get(o.host);
      if (allowed === undefined || url.protocol !== `${allowed.scheme}:` || o.port !== allowed.port) {
        return 'not in the allowed list';
      }
    }
    return undefined;
  }
}

/** `permessage-deflate` appears among the offered extensions (parameters are not required). */
function offersPermessageDeflate(extensions: string): boolean {
  for (const extension of extensions.split(',')) {
    for (const param of extension.split(';')) {
      if (param.trim().toLowerCase() === 'permessage-deflate') return true;
    }
  }
  return false;
}

/** An absolute URL, as Go's url.ParseRequestURI requires; undefined otherwise. */
function parseRequestUri(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Host (lower-cased) and port of `host[:port]`, the port defaulting by scheme as nats-server does. */
function hostAndPort(tls: boolean, hostPort: string): { host: string; port: string } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPort);
  const host = (m?.[1] ?? hostPort).replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = m?.[2] !== undefined && m[2] !== '' ? m[2] : tls ? '443' : '80';
  return { host, port };
}
