// Codes shared with the Rust engine. They mirror native/core/src/wire_error.rs (CloseReason, WireError)
// and native/core/src/engine.rs (ingest result bits, event kinds); the Rust side is the source of truth.

/** `ingest` / `tick` result bits. */
export const HAS_DIRTY = 1;
export const HAS_EVENTS = 2;
/** The chunk fed a backed-up consumer: pause reading the publisher briefly (nats-server's producer stall). */
export const HAS_STALL = 4;

/** `EngineEvent.kind` values. */
export const EVENT_CONNECT = 1;
export const EVENT_CLOSE = 2;
/** An op came before CONNECT and the no_auth_user may be admitted for it (engine option admitBeforeConnect). */
export const EVENT_OP_BEFORE_CONNECT = 3;

/** Why a connection closed (`CloseReason` in Rust). The names are nats-server's ClosedState names. */
export const CloseReason = {
  ClientClosed: 1,
  ProtocolViolation: 2,
  MaxControlLineExceeded: 3,
  MaxPayloadExceeded: 4,
  SlowConsumerPendingBytes: 5,
  SlowConsumerWriteDeadline: 6,
  StaleConnection: 7,
  BadClientProtocolVersion: 8,
  NoRespondersRequiresHeaders: 9,
  ParseError: 10,
  AuthenticationViolation: 11,
  AuthenticationTimeout: 12,
  MaxConnectionsExceeded: 13,
  ServerShutdown: 14,
  LameDuckMode: 15,
  /** The TLS handshake failed or timed out (decided in TS; the engine never sees such a client's bytes). */
  TlsHandshakeError: 16,
  /** A user JWT expired (or its connect window ended) while connected (decided in TS). */
  AuthenticationExpired: 17,
  /** The user was revoked in its account JWT while connected (config reload). */
  AuthenticationRevoked: 18,
} as const;
export type CloseReasonCode = (typeof CloseReason)[keyof typeof CloseReason];

/** Human-readable close reasons, as nats-server prints them in /connz and logs. */
export const CLOSE_REASON_TEXT: Record<number, string> = {
  1: 'Client Closed',
  2: 'Protocol Violation',
  3: 'Maximum Control Line Exceeded',
  4: 'Maximum Message Payload Exceeded',
  5: 'Slow Consumer (Pending Bytes)',
  6: 'Slow Consumer (Write Deadline)',
  7: 'Stale Connection',
  8: 'Bad Client Protocol Version',
  9: 'No Responders Requires Headers',
  10: 'Parse Error',
  11: 'Authentication Failure',
  12: 'Authentication Timeout',
  13: 'Maximum Connections Exceeded',
  14: 'Server Shutdown',
  15: 'Lame Duck Mode',
  16: 'TLS Handshake Failure',
  17: 'Authentication Expired',
  18: 'Authentication Revoked',
};

/** Wire error codes (`WireError` in Rust). TS never writes `-ERR` text itself: it names one of these. */
export const WireError = {
  None: 0,
  UnknownProtocolOperation: 1,
  MaxControlLineExceeded: 2,
  MaxPayloadViolation: 3,
  MaxSubscriptionsExceeded: 4,
  InvalidSubject: 5,
  InvalidPublishSubject: 6,
  NoRespondersRequiresHeaders: 7,
  InvalidClientProtocol: 8,
  StaleConnection: 9,
  AuthorizationViolation: 10,
  AuthenticationTimeout: 11,
  MaxConnectionsExceeded: 12,
  SecureConnectionTlsRequired: 13,
  UserAuthenticationExpired: 14,
  UserAuthenticationRevoked: 15,
} as const;
