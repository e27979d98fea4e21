// The HTTP listener on node:http (and node:https), used where uWebSockets.js does not load.

import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

import type { HttpListener, HttpListenOptions } from './http-listener.js';
import { parseTarget } from './http-listener.js';

export function listenNode(options: HttpListenOptions): Promise<HttpListener> {
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const { path, query } = parseTarget(req.url ?? '/');
    void Promise.resolve()
      .then(() => options.handler({ method: req.method ?? 'GET', path, query }))
      .catch((err: unknown) => ({
        status: 500,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        body: err instanceof Error ? err.message : String(err),
      }))
      .then((out) => {
        res.writeHead(out.status, { ...out.headers, 'Content-Length': Buffer.byteLength(out.body) });
        res.end(out.body);
      });
  };
  const server = options.tls
    ? createHttpsServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, onRequest)
    : createHttpServer(onRequest);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({
        backend: 'node',
        port: typeof address === 'object' && address !== null ? address.port : options.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
