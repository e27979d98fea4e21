// The HTTP listener on uWebSockets.js. uWS hands the request object over only for the synchronous part of
// the callback, so method, URL and query are copied out first; the response may then be written later,
// unless the client went away (onAborted), and is written corked (one syscall).

import type { HttpListener, HttpListenOptions } from './http-listener.js';
import { statusText } from './http-listener.js';
import { loadUws } from './uws.js';

export function listenUws(options: HttpListenOptions): Promise<HttpListener> {
  const loaded = loadUws();
  if (!loaded.ok) return Promise.reject(new Error(`uWebSockets.js did not load: ${loaded.reason}`));
  const uws = loaded.uws;
  const app = options.tls
    ? uws.SSLApp({ cert_file_name: options.tls.certFile, key_file_name: options.tls.keyFile })
    : uws.App();

  app.any('/*', (res, req) => {
    const method = req.getMethod().toUpperCase();
    const path = req.getUrl();
    const query = new URLSearchParams(req.getQuery() ?? '');
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    void Promise.resolve()
      .then(() => options.handler({ method, path, query }))
      .catch((err: unknown) => ({
        status: 500,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        body: err instanceof Error ? err.message : String(err),
      }))
      .then((out) => {
        if (aborted) return;
        res.cork(() => {
          res.writeStatus(`${out.status} ${statusText(out.status)}`);
          for (const [name, value] of Object.entries(out.headers)) res.writeHeader(name, value);
          res.end(out.body);
        });
      });
  });

  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (token) => {
      if (token === false) {
        // uWS gives no reason: the address may be in use or unavailable, or (HTTPS) the certificate unusable.
        const what = options.tls ? ' (or the certificate or key could not be used)' : '';
        reject(new Error(`listen tcp ${options.host}:${options.port}: address in use or unavailable${what}`));
        return;
      }
      resolve({
        backend: 'uws',
        port: uws.us_socket_local_port(token),
        close: async () => {
          uws.us_listen_socket_close(token);
        },
      });
    });
  });
}
