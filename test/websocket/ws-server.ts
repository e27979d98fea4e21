// Servers with a WebSocket listener, for the WebSocket tests. Myelin runs once per listener implementation
// (uWebSockets.js and the `ws` fallback, forced with MYELIN_WEBSOCKET); the Go nats-server has one.

import { readFileSync } from 'node:fs';

import { WebSocket } from 'ws';

import { isGo, startServer, type ServerHandle } from '../helpers/server.js';

export type Impl = 'uws' | 'ws' | 'go';

/** The implementations to test against: both of Myelin's, or nats-server alone. */
export const IMPLS: Impl[] = isGo ? ['go'] : ['uws', 'ws'];

export interface WsServer {
  srv: ServerHandle;
  /** `ws://127.0.0.1:<port>`, from the ports file's `websocket` list. */
  wsUrl: string;
  wsPort: number;
}

/** Lines for the `websocket { }` block (loopback, no TLS, random port) plus `extra` inside it. */
export function websocketBlock(extra = ''): string {
  return `websocket {\n  host: 127.0.0.1\n  port: -1\n  no_tls: true\n${extra}\n}\n`;
}

export async function startWsServer(impl: Impl, config = websocketBlock(), args: string[] = []): Promise<WsServer> {
  const env: Record<string, string> = impl === 'go' ? {} : { MYELIN_WEBSOCKET: impl };
  const srv = await startServer({ config, env, args });
  const ports = JSON.parse(readFileSync(srv.portsFile, 'utf8')) as { websocket?: string[] };
  const wsUrl = ports.websocket?.[0];
  if (wsUrl === undefined) {
    await srv.stop();
    throw new Error(`no websocket URL in the ports file: ${readFileSync(srv.portsFile, 'utf8')}`);
  }
  return { srv, wsUrl, wsPort: Number(/:(\d+)$/.exec(wsUrl)?.[1]) };
}

/** wsconnect needs a global WebSocket; Node 20 has none, so the `ws` package stands in (as it would in Node). */
export function installGlobalWebSocket(): void {
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
}
