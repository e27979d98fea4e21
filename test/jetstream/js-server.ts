// Servers for the JetStream suites: Myelin or nats-server (NATS_SERVER_BIN), both started with
// `-js -sd <fresh tmp dir>`, and official-client connections that are closed with the server.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type ServerHandle } from '../helpers/server.js';

export interface JsServer {
  srv: ServerHandle;
  storeDir: string;
  /** A connection closed by `stop`. */
  connect(): Promise<NatsConnection>;
  stop(): Promise<void>;
}

export async function startJsServer(config?: string): Promise<JsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), 'myelin-js-'));
  const srv = await startServer({ args: ['-js', '-sd', storeDir], ...(config !== undefined ? { config } : {}) });
  const conns: NatsConnection[] = [];
  return {
    srv,
    storeDir,
    async connect() {
      const nc = await connect({ servers: srv.url, reconnect: false });
      conns.push(nc);
      return nc;
    },
    async stop() {
      for (const c of conns) if (!c.isClosed()) await c.close().catch(() => {});
      await srv.stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
