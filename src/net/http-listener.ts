// The one HTTP interface the monitoring endpoints are served through, with two implementations:
// uWebSockets.js (src/net/uws-http.ts) when its native addon loads on this platform, and node:http
// (src/net/node-http.ts) otherwise. Requests are small and answered from memory, so the interface is a
// single handler from a parsed request to a complete response; neither backend streams.
//
// MYELIN_HTTP_LISTENER=node|uws forces a backend (tests run both); without it uWS is tried first.

import { loadUws } from './uws.js';

export interface HttpRequest {
  method: string;
  /** The path without the query string, not percent-decoded. */
  path: string;
  query: URLSearchParams;
}

export interface HttpResponse {
  status: number;
  /** Header names as they should be written. */
  headers: Record<string, string>;
  body: string;
}

export type HttpHandler = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;

export interface HttpListenOptions {
  host: string;
  /** 0 asks for a random free port. */
  port: number;
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
  handler: HttpHandler;
}

export interface HttpListener {
  /** Which implementation serves it. */
  readonly backend: 'uws' | 'node';
  /** The bound port. */
  readonly port: number;
  close(): Promise<void>;
}

export type HttpBackend = HttpListener['backend'];

/** The backend startHttpListener would use now, and why uWS was not used if it was not. */
export function chooseHttpBackend(): { backend: HttpBackend; reason?: string } {
  const forced = process.env.MYELIN_HTTP_LISTENER;
  if (forced === 'node') return { backend: 'node', reason: 'MYELIN_HTTP_LISTENER=node' };
  const uws = loadUws();
  if (uws.ok) return { backend: 'uws' };
  if (forced === 'uws') throw new Error(`MYELIN_HTTP_LISTENER=uws, but uWebSockets.js did not load: ${uws.reason}`);
  return { backend: 'node', reason: uws.reason };
}

export async function startHttpListener(options: HttpListenOptions): Promise<HttpListener> {
  const { backend } = chooseHttpBackend();
  if (backend === 'uws') {
    const { listenUws } = await import('./uws-http.js');
    return listenUws(options);
  }
  const { listenNode } = await import('./node-http.js');
  return listenNode(options);
}

/** Split a request target into path and query. */
export function parseTarget(target: string): { path: string; query: URLSearchParams } {
  const q = target.indexOf('?');
  if (q < 0) return { path: target, query: new URLSearchParams() };
  return { path: target.slice(0, q), query: new URLSearchParams(target.slice(q + 1)) };
}

/** The reason phrase for the status line (uWS wants a whole "200 OK"). */
export function statusText(status: number): string {
  const texts: Record<number, string> = {
    200: 'OK',
    400: 'Bad Request',
    404: 'Not Found',
    405: 'Method Not Allowed',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  };
  return texts[status] ?? 'Unknown';
}
