// The WebSocket listener on the `ws` package over node:http: the fallback where uWebSockets.js has no binary
// for the platform or Node version (and what MYELIN_WEBSOCKET=ws selects). Same interface and the same
// handshake policy as the uWebSockets.js listener.

import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

import { WebSocketServer, type RawData, type WebSocket } from 'ws';

import { HandshakePolicy } from './websocket-handshake.js';
import type { ListenerSettings, WebSocketListener, WsAccept, WsTransport } from './websocket-listener.js';

/** Frames smaller than this are not worth compressing (nats-server's threshold). */
const COMPRESS_THRESHOLD = 64;

class WsPackageTransport implements WsTransport {
  readonly remoteAddress: string;
  readonly remotePort: number;

  constructor(
    private readonly ws: WebSocket,
    /** The upgraded TCP socket under `ws`: its write queue is what backpressure is measured on. */
    private readonly socket: Socket,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
  }

  send(bytes: Uint8Array): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return true;
    this.ws.send(bytes, { binary: true, compress: bytes.length > COMPRESS_THRESHOLD });
    return !this.socket.writableNeedDrain;
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  end(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  destroy(): void {
    this.ws.terminate();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }
}

export function startWsListener(settings: ListenerSettings, accept: WsAccept): Promise<WebSocketListener> {
  const { options, log } = settings;
  const policy = new HandshakePolicy(options, log);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: settings.maxFrameBytes,
    perMessageDeflate: options.compression
      ? { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: COMPRESS_THRESHOLD }
      : false,
  });
  if (policy.headers.length > 0) {
    wss.on('headers', (headers: string[]) => {
      for (const [name, value] of policy.headers) headers.push(`${name}: ${value}`);
    });
  }

  const server = createServer((_req, res) => {
    // A plain HTTP request on the WebSocket port is not an upgrade: nats-server answers 400.
    res.writeHead(400, { 'Sec-Websocket-Version': '13', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Bad Request\n');
  });
  if (options.handshakeTimeout > 0) {
    server.headersTimeout = options.handshakeTimeout;
    server.requestTimeout = options.handshakeTimeout;
  }
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const verdict = policy.check((name) => headerText(req.headers[name]));
    if (!verdict.ok) {
      log.error(`${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0} - websocket handshake error: ${verdict.reason}`);
      const body = `${verdict.statusText}\n`;
      socket.end(
        `HTTP/1.1 ${verdict.status} ${verdict.statusText}\r\nSec-Websocket-Version: 13\r\n` +
          `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    socket.setNoDelay(true);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const handlers = accept(new WsPackageTransport(ws, socket));
      ws.on('message', (data: RawData) => handlers.onFrame(data as Buffer));
      ws.on('close', () => handlers.onClose());
      ws.on('error', () => ws.terminate());
      socket.on('drain', () => handlers.onDrain());
      handlers.onOpen();
    });
  });

  const port = options.port === -1 ? 0 : options.port;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port, exclusive: true }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({
        implementation: 'ws',
        port: typeof address === 'object' && address !== null ? address.port : port,
        close: () => {
          server.close();
        },
      });
    });
  });
}

function headerText(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? (value[0] ?? '') : value;
}
