// The WebSocket listener on uWebSockets.js (its binary loaded by uws.ts; websocket-listener.ts falls
// back to the `ws` package when that fails).
//
// uWebSockets.js hands a received message over as an ArrayBuffer that is valid only during the callback: it
// is passed on as a Buffer view (no copy) to the synchronous handler, which feeds it to the engine. Only
// frames that arrive while the connection is paused are copied, and held until it resumes.

import type * as Uws from 'uWebSockets.js';

import { HandshakePolicy } from './websocket-handshake.js';
import type { ListenerSettings, WebSocketListener, WsAccept, WsHandlers, WsTransport } from './websocket-listener.js';
import type { UwsModule } from './uws.js';

/** uWebSockets.js's send() result codes. */
const SEND_SUCCESS = 1;
/** Frames smaller than this are not worth compressing (nats-server's threshold). */
const COMPRESS_THRESHOLD = 64;

/** Per-connection data kept by uWebSockets.js (getUserData()). */
interface ConnData {
  transport?: UwsTransport;
}

class UwsTransport implements WsTransport {
  readonly remoteAddress: string;
  readonly remotePort = 0;
  handlers: WsHandlers | undefined;
  /** Set by the close callback: the native object must not be touched after it. */
  closed = false;
  private paused = false;
  /** Frames received while paused, copied, in order; and their total size. */
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    private readonly ws: Uws.WebSocket<ConnData>,
    private readonly compress: boolean,
    private readonly maxHeldBytes: number,
  ) {
    this.remoteAddress = Buffer.from(ws.getRemoteAddressAsText()).toString();
  }

  send(bytes: Uint8Array): boolean {
    if (this.closed) return true;
    return this.ws.send(bytes, true, this.compress && bytes.length > COMPRESS_THRESHOLD) === SEND_SUCCESS;
  }

  bufferedAmount(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }

  end(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.end(code, reason);
  }

  destroy(): void {
    if (this.closed) return;
    this.ws.close();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && !this.closed && this.held.length > 0) {
      const frame = this.held.shift() as Buffer;
      this.heldBytes -= frame.length;
      this.handlers?.onFrame(frame);
    }
  }

  /** A frame arrived: pass it on now (borrowed), or hold a copy while paused. */
  receive(message: ArrayBuffer): void {
    if (!this.paused && this.held.length === 0) {
      this.handlers?.onFrame(Buffer.from(message));
      return;
    }
    this.heldBytes += message.byteLength;
    // Reading cannot be paused in uWebSockets.js; a client that keeps sending while paused is cut off.
    if (this.heldBytes > this.maxHeldBytes) {
      this.destroy();
      return;
    }
    this.held.push(Buffer.from(new Uint8Array(message)));
  }
}

export function startUwsListener(uws: UwsModule, settings: ListenerSettings, accept: WsAccept): Promise<WebSocketListener> {
  const { options, log } = settings;
  const policy = new HandshakePolicy(options, log);
  const app = uws.App();
  app.ws<ConnData>('/*', {
    compression: options.compression ? uws.SHARED_COMPRESSOR | uws.SHARED_DECOMPRESSOR : uws.DISABLED,
    maxPayloadLength: settings.maxFrameBytes,
    // Output is paced by the engine (it stops handing out bytes while a send is queued), so uWebSockets.js
    // never needs to drop; its limit is set above anything the engine lets through.
    maxBackpressure: settings.maxBufferedBytes,
    // NATS has its own PING/PONG and stale-connection check.
    idleTimeout: 0,
    sendPingsAutomatically: false,
    upgrade: (res, req, context) => {
      const verdict = policy.check((name) => req.getHeader(name));
      if (!verdict.ok) {
        const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
        log.error(`${remote} - websocket handshake error: ${verdict.reason}`);
        res.cork(() => {
          res.writeStatus(`${verdict.status} ${verdict.statusText}`).writeHeader('Sec-Websocket-Version', '13');
          res.end(`${verdict.statusText}\n`);
        });
        return;
      }
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = verdict.compress ? req.getHeader('sec-websocket-extensions') : '';
      res.cork(() => {
        if (policy.headers.length > 0) {
          res.writeStatus('101 Switching Protocols');
          for (const [name, value] of policy.headers) res.writeHeader(name, value);
        }
        res.upgrade<ConnData>({}, key, protocol, extensions, context);
      });
    },
    open: (ws) => {
      const transport = new UwsTransport(ws, options.compression, settings.maxHeldBytes);
      ws.getUserData().transport = transport;
      transport.handlers = accept(transport);
      transport.handlers.onOpen();
    },
    message: (ws, message) => ws.getUserData().transport?.receive(message),
    drain: (ws) => ws.getUserData().transport?.handlers?.onDrain(),
    close: (ws) => {
      const transport = ws.getUserData().transport;
      if (transport === undefined) return;
      transport.closed = true;
      transport.handlers?.onClose();
    },
  });
  // A plain HTTP request on the WebSocket port is not an upgrade: nats-server answers 400.
  app.any('/*', (res) => {
    res.cork(() => {
      res.writeStatus('400 Bad Request').writeHeader('Sec-Websocket-Version', '13').end('Bad Request\n');
    });
  });

  const port = options.port === -1 ? 0 : options.port;
  return new Promise((resolve, reject) => {
    app.listen(options.host, port, (listenSocket) => {
      if (listenSocket === false) {
        reject(new Error(`listen tcp ${options.host}:${port}: address unavailable or in use`));
        return;
      }
      let open = true;
      resolve({
        implementation: 'uws',
        port: uws.us_socket_local_port(listenSocket as unknown as Uws.us_socket),
        close: () => {
          if (open) uws.us_listen_socket_close(listenSocket);
          open = false;
        },
      });
    });
  });
}
