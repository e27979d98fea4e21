// The HTTP monitoring listener (`-m/--http_port`, `-ms/--https_port`, `http: host:port`, `http_base_path`):
// routes a request to its endpoint, counts requests per endpoint (/varz http_req_stats), and writes the
// response the way nats-server does (indented JSON with Access-Control-Allow-Origin: *, plain-text 400s with
// its error texts, Go's 404 page).

import { startHttpListener, type HttpListener, type HttpRequest, type HttpResponse } from '../net/http-listener.js';
import { accountz, accstatz } from './accounts.js';
import { gatewayz, leafz, routez } from './cluster.js';
import type { MonitorSource } from './collect.js';
import { connz } from './connz.js';
import { goJson, QueryError } from './go-format.js';
import { healthz } from './healthz.js';
import { jsz } from './jetstream.js';
import { metrics } from './metrics.js';
import { subsz } from './subsz.js';
import { varz, type VarzContext } from './varz.js';

export interface MonitorListenOptions {
  host: string;
  /** The configured port: -1 means random, and is reported as -1 in /varz as nats-server does. */
  port: number;
  https: boolean;
  basePath: string;
  tls?: { certFile: string; keyFile: string };
}

type Endpoint = (req: HttpRequest) => Promise<HttpResponse> | HttpResponse;

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' };
const TEXT_HEADERS = { 'Content-Type': 'text/plain; charset=utf-8' };

/** The endpoints, in the order the index page lists them. */
export const ENDPOINTS = [
  '/varz', '/connz', '/routez', '/gatewayz', '/leafz', '/subsz', '/accountz', '/accstatz', '/jsz', '/healthz', '/metrics',
];

export class MonitorServer {
  private listener: HttpListener | undefined;
  private readonly reqStats: Record<string, number> = {};
  private readonly routes = new Map<string, { stat: string; run: Endpoint }>();
  private readonly configLoadTime = new Date();

  constructor(
    private readonly source: MonitorSource,
    private readonly config: MonitorListenOptions,
  ) {
    const json = (run: (q: URLSearchParams) => unknown, indent = true): Endpoint => async (req) => {
      try {
        return { status: 200, headers: JSON_HEADERS, body: goJson(await run(req.query), indent) };
      } catch (err) {
        if (err instanceof QueryError) return { status: 400, headers: TEXT_HEADERS, body: err.message };
        throw err;
      }
    };
    const add = (path: string, run: Endpoint, stat = path): void => {
      this.routes.set(joinBase(config.basePath, path), { stat, run });
    };
    add('/', () => ({ status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: this.indexPage() }));
    add('/varz', json(() => varz(this.varzContext())));
    add('/connz', json((q) => connz(source, q)));
    add('/routez', json(() => routez(source)));
    add('/gatewayz', json(() => gatewayz(source)));
    add('/leafz', json(() => leafz(source)));
    add('/subsz', json((q) => subsz(source, q)));
    add('/subscriptionsz', json((q) => subsz(source, q)), '/subsz');
    add('/accountz', json((q) => accountz(source, q)));
    add('/accstatz', json((q) => accstatz(source, q)));
    add('/jsz', json((q) => jsz(source, q)));
    add('/healthz', (req) => {
      try {
        const h = healthz(source, req.query);
        return { status: h.code, headers: JSON_HEADERS, body: goJson(h.body, false) };
      } catch (err) {
        if (err instanceof QueryError) return { status: 400, headers: TEXT_HEADERS, body: err.message };
        throw err;
      }
    });
    add('/metrics', async () => ({
      status: 200,
      headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: await metrics(this.varzContext()),
    }));
  }

  /** Bind the listener; resolves with the bound port. */
  async start(): Promise<HttpListener> {
    const listener = await startHttpListener({
      host: this.config.host,
      port: this.config.port === -1 ? 0 : this.config.port,
      ...(this.config.tls !== undefined ? { tls: this.config.tls } : {}),
      handler: (req) => this.handle(req),
    });
    this.listener = listener;
    return listener;
  }

  async close(): Promise<void> {
    const l = this.listener;
    this.listener = undefined;
    await l?.close();
  }

  private handle(req: HttpRequest): Promise<HttpResponse> | HttpResponse {
    const route = this.routes.get(req.path);
    if (route === undefined) return { status: 404, headers: TEXT_HEADERS, body: '404 page not found\n' };
    this.reqStats[route.stat] = (this.reqStats[route.stat] ?? 0) + 1;
    return route.run(req);
  }

  /** What /varz reports about this listener; the system account's VARZ uses it too. */
  varzContext(): VarzContext {
    const o = this.source.options;
    return {
      source: this.source,
      httpHost: this.config.host,
      httpPort: o.httpPort,
      httpsPort: o.httpsPort,
      httpBasePath: o.httpBasePath,
      httpReqStats: this.reqStats,
      configLoadTime: this.source.configLoadTime ?? this.configLoadTime,
    };
  }

  private indexPage(): string {
    const links = ENDPOINTS.map((p) => `    <li><a href="${joinBase(this.config.basePath, p)}">${p}</a></li>`).join('\n');
    const name = this.source.identity.serverName.replace(/[<>&"]/g, '');
    return `<!DOCTYPE html>
<html lang="en">
  <head><meta charset="utf-8"><title>Myelin monitoring: ${name}</title></head>
  <body>
    <h1>Myelin monitoring</h1>
    <p>Server ${name}. Endpoints use nats-server's field names; see the README.</p>
    <ul>
${links}
    </ul>
  </body>
</html>
`;
  }
}

/** nats-server mounts every endpoint under http_base_path ("mon" or "/mon/" give "/mon/varz"; the index is "/mon"). */
export function joinBase(basePath: string, path: string): string {
  const base = `/${basePath}`.replace(/\/+/g, '/').replace(/\/$/, '');
  if (path === '/') return base === '' ? '/' : base;
  return `${base}${path}`;
}
