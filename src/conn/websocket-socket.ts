// A WebSocket connection dressed as the socket that ClientConnection, EngineHost and OutboundFlusher already
// drive, so a browser client goes through the same engine path as a TCP one:
//   received frame  → 'data' (one engine.ingest per frame; the bytes are borrowed for that call only)
//   write(bytes)    → one binary frame (the flusher writes once per connection per event-loop turn)
//   end()           → a close frame with nats-server's status code and reason text for the close reason
//   destroy()       → drop without a close frame (slow consumers, linger timeout)

import { EventEmitter } from 'node:events';

import { CLOSE_REASON_TEXT, CloseReason } from '../native/abi.js';
import type { WsHandlers, WsTransport } from '../net/websocket-listener.js';
import type { ClientSocket } from './client-connection.js';

/** RFC 6455 close status codes nats-server uses. */
const WS_NORMAL_CLOSURE = 1000;
const WS_GOING_AWAY = 1001;
const WS_PROTOCOL_ERROR = 1002;
const WS_POLICY_VIOLATION = 1008;
const WS_MESSAGE_TOO_BIG = 1009;
const WS_INTERNAL_ERROR = 1011;

/** nats-server's close status for each close reason (server/websocket.go wsEnqueueCloseMessage). */
export function closeStatusFor(reason: number): number {
  switch (reason) {
    case CloseReason.ClientClosed:
      return WS_NORMAL_CLOSURE;
    case CloseReason.AuthenticationTimeout:
    case CloseReason.AuthenticationViolation:
    case CloseReason.SlowConsumerPendingBytes:
    case CloseReason.SlowConsumerWriteDeadline:
    case CloseReason.MaxConnectionsExceeded:
    case CloseReason.MaxControlLineExceeded:
      return WS_POLICY_VIOLATION;
    case CloseReason.ParseError:
    case CloseReason.ProtocolViolation:
    case CloseReason.BadClientProtocolVersion:
      return WS_PROTOCOL_ERROR;
    case CloseReason.MaxPayloadExceeded:
      return WS_MESSAGE_TOO_BIG;
    case CloseReason.StaleConnection:
    case CloseReason.ServerShutdown:
      return WS_GOING_AWAY;
    default:
      return WS_INTERNAL_ERROR;
  }
}

export class WebSocketClientSocket extends EventEmitter implements ClientSocket {
  readonly connectionType = 'WEBSOCKET';
  readonly remoteAddress: string;
  readonly remotePort: number;
  destroyed = false;
  /** end() was called: later writes are dropped, as after a TCP socket's end. */
  private ending = false;
  private owner: { readonly closeReason: number } | undefined;
  /** The events the listener delivers for this connection. */
  readonly handlers: WsHandlers;

  /** `onOpen` runs once the listener has wired the handlers: the place to adopt the connection. */
  constructor(
    private readonly transport: WsTransport,
    onOpen: (socket: WebSocketClientSocket) => void,
  ) {
    super();
    this.remoteAddress = transport.remoteAddress;
    this.remotePort = transport.remotePort;
    this.handlers = {
      onOpen: () => onOpen(this),
      onFrame: (bytes) => this.emit('data', bytes),
      onDrain: () => this.emit('drain'),
      onClose: () => {
        this.destroyed = true;
        this.emit('close');
      },
    };
  }

  bindConnection(owner: { readonly closeReason: number }): void {
    this.owner = owner;
  }

  get writableLength(): number {
    return this.transport.bufferedAmount();
  }

  write(bytes: Buffer): boolean {
    if (this.destroyed || this.ending) return true;
    // Should the connection close during the send, report no backpressure: there is nothing left to wait for.
    return this.transport.send(bytes) || this.destroyed;
  }

  end(): void {
    if (this.destroyed || this.ending) return;
    this.ending = true;
    const reason = this.owner?.closeReason || CloseReason.ClientClosed;
    this.transport.end(closeStatusFor(reason), CLOSE_REASON_TEXT[reason] ?? '');
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.transport.destroy();
  }

  pause(): void {
    this.transport.pause();
  }

  resume(): void {
    this.transport.resume();
  }

  setNoDelay(): void {
    // Frames are written whole, once per event-loop turn; there is nothing to coalesce.
  }
}
