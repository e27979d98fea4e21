// The WebSocket listener behind one small interface, with two implementations: uWebSockets.js (native, the
// default) and the `ws` package (pure JS), used when uWebSockets.js cannot be loaded on this platform or Node
// version, or when MYELIN_WEBSOCKET=ws asks for it (the tests run both). Either one does the HTTP upgrade with
// nats-server's checks (websocket-handshake.ts) and hands each accepted connection over as a WsTransport;
// what the connection then carries is plain NATS protocol in binary frames (src/conn/websocket-socket.ts).

import type { WebsocketOptions } from '../config/options.js';
import type { Logger } from '../log.js';

/** One accepted WebSocket, as either implementation presents it. Valid until its `onClose`. */
export interface WsTransport {
  readonly remoteAddress: string;
  /** 0 when the implementation does not expose it (uWebSockets.js). */
  readonly remotePort: number;
  /**
   * Send `bytes` as one binary frame (the caller keeps no claim on them). Returns false when the frame is
   * queued behind earlier ones: wait for `onDrain` before sending more.
   */
  send(bytes: Uint8Array): boolean;
  /** Bytes accepted by `send` and not yet written to the network. */
  bufferedAmount(): number;
  /** Start the closing handshake with `code` and `reason`; `onClose` follows. */
  end(code: number, reason: string): void;
  /** Drop the connection without a closing handshake; `onClose` follows. */
  destroy(): void;
  /** Stop delivering frames (they are held, up to a bound, until `resume`). */
  pause(): void;
  resume(): void;
}

/** What the server does with one connection's events. */
export interface WsHandlers {
  /** The handlers are in place: the connection may be used (and even closed) from here on. */
  onOpen(): void;
  /** One received data frame (text or binary), borrowed for the duration of the call only. */
  onFrame(bytes: Buffer): void;
  /** The transport can take more bytes after `send` returned false. */
  onDrain(): void;
  /** The connection is gone; the transport must not be used any more. */
  onClose(): void;
}

/** Called once per upgraded connection; returns the handlers for its events. */
export type WsAccept = (transport: WsTransport) => WsHandlers;

export interface WebSocketListener {
  /** Which implementation serves it. */
  readonly implementation: 'uws' | 'ws';
  /** The bound port (the random one when the options asked for -1). */
  readonly port: number;
  /** Stop accepting; open connections are left to their owner. */
  close(): void;
}

export interface ListenerSettings {
  options: WebsocketOptions;
  /** Largest frame accepted, bytes (a larger one closes the connection). */
  maxFrameBytes: number;
  /** Largest amount of output a connection may have queued; above any amount the engine hands out at once. */
  maxBufferedBytes: number;
  /** Largest amount of held input while paused, bytes, before the connection is dropped. */
  maxHeldBytes: number;
  log: Logger;
}

/** Environment variable that forces an implementation: `uws` or `ws`. */
export const WEBSOCKET_IMPL_ENV = 'MYELIN_WEBSOCKET';

/** Bind the listener with uWebSockets.js if it loads (unless the environment says otherwise), else `ws`. */
export async function startWebSocketListener(settings: ListenerSettings, accept: WsAccept): Promise<WebSocketListener> {
  const forced = process.env[WEBSOCKET_IMPL_ENV];
  if (forced !== undefined && forced !== '' && forced !== 'uws' && forced !== 'ws') {
    throw new Error(`${WEBSOCKET_IMPL_ENV} must be "uws" or "ws", got ${JSON.stringify(forced)}`);
  }
  if (forced !== 'ws') {
    const { loadUws } = await import('./uws.js');
    const uws = loadUws();
    if (uws.ok) {
      const { startUwsListener } = await import('./websocket-uws.js');
      return startUwsListener(uws.uws, settings, accept);
    }
    if (forced === 'uws') throw new Error(`uWebSockets.js could not be loaded: ${uws.reason}`);
    settings.log.debug(`uWebSockets.js not available (${uws.reason}); WebSocket listener uses the ws package`);
  }
  const { startWsListener } = await import('./websocket-ws.js');
  return startWsListener(settings, accept);
}
