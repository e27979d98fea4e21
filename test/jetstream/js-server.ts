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
  /** Stop the server (SIGTERM) and start it again on the same store directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startJsServer(config?: string): Promise<JsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), 'myelin-js-'));
  // MYELIN_TEST_JS_CONFIG (a config text) runs a suite under another JetStream policy, e.g.
  // `jetstream { sync_interval: "2m" }`, where header-less publishes are stored on the receiving thread.
  const cfg = config ?? process.env.MYELIN_TEST_JS_CONFIG;
  const start = () => startServer({ args: ['-js', '-sd', storeDir], ...(cfg !== undefined ? { config: cfg } : {}) });
  const conns: NatsConnection[] = [];
  const handle: JsServer = {
    srv: await start(),
    storeDir,
    async restart() {
      for (const c of conns.splice(0)) if (!c.isClosed()) await c.close().catch(() => {});
      await handle.srv.stop();
      handle.srv = await start();
    },
    async connect() {
      const nc = await connect({ servers: handle.srv.url, reconnect: false });
      conns.push(nc);
      return nc;
    },
    async stop() {
      for (const c of conns) if (!c.isClosed()) await c.close().catch(() => {});
      await handle.srv.stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return handle;
}
