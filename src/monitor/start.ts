// Starting the monitoring listener from the options, with nats-server's startup checks and log line.

import type { Options } from '../config/options.js';
import type { Logger } from '../log.js';
import { listenerUrls } from '../process/files.js';
import type { MonitorSource } from './collect.js';
import { MonitorServer } from './monitor-server.js';
import { chooseHttpBackend } from '../net/http-listener.js';

export interface RunningMonitor {
  server: MonitorServer;
  /** For the ports file's `monitoring` list. */
  urls: string[];
}

/** Thrown when monitoring cannot start; the message is nats-server's fatal log text. */
export class MonitorStartError extends Error {
  override name = 'MonitorStartError';
}

/** Starts monitoring if a port is configured; resolves undefined when it is off. */
export async function startMonitoring(source: MonitorSource, o: Options, log: Logger): Promise<RunningMonitor | undefined> {
  if (o.httpPort === 0 && o.httpsPort === 0) return undefined;
  if (o.httpPort !== 0 && o.httpsPort !== 0) {
    throw new MonitorStartError(`Can't start monitoring: can't specify both HTTP (${o.httpPort}) and HTTPs (${o.httpsPort}) ports`);
  }
  const https = o.httpsPort !== 0;
  if (https && (o.tlsCert === '' || o.tlsKey === '')) {
    throw new MonitorStartError("Can't start monitoring: TLS cert and key required for HTTPS");
  }
  const scheme = https ? 'https' : 'http';
  const server = new MonitorServer(source, {
    host: o.httpHost,
    port: https ? o.httpsPort : o.httpPort,
    https,
    basePath: o.httpBasePath,
    ...(https ? { tls: { certFile: o.tlsCert, keyFile: o.tlsKey } } : {}),
  });
  let port: number;
  try {
    const listener = await server.start();
    port = listener.port;
    if (log.debugEnabled) {
      const why = listener.backend === 'node' ? ` (${chooseHttpBackend().reason ?? 'uWebSockets.js unavailable'})` : '';
      log.debug(`Monitoring served by the ${listener.backend === 'uws' ? 'uWebSockets.js' : 'node:http'} listener${why}`);
    }
  } catch (err) {
    throw new MonitorStartError(`Can't listen to the monitor port: ${err instanceof Error ? err.message : String(err)}`);
  }
  const host = o.httpHost.includes(':') ? `[${o.httpHost}]` : o.httpHost;
  log.info(`Starting ${scheme} monitor on ${host}:${port}`);
  return { server, urls: listenerUrls(scheme, o.httpHost, port) };
}
