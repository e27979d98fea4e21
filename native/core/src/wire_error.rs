//! The one table of wire error texts.
//!
//! Clients match these strings (nats.js classifies `-ERR` lines by substring), so they are frozen API and
//! must equal nats-server's texts byte for byte. Every `-ERR` the data plane writes comes from here, and
//! so does the decision whether the connection is closed afterwards. TypeScript never composes a wire
//! error itself: it asks the engine to send one of these by code.

/// Why a connection is closed. The numeric values cross the Node-API boundary as event detail codes
/// and are mirrored in `src/native/abi.ts`; append only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum CloseReason {
    /// The client closed its socket (reported by TS, never by the engine).
    ClientClosed = 1,
    /// Unparseable input, malformed arguments or a bad CONNECT.
    ProtocolViolation = 2,
    /// A control line longer than `max_control_line`.
    MaxControlLineExceeded = 3,
    /// A payload larger than `max_payload`.
    MaxPayloadExceeded = 4,
    /// Outbound bytes pending past `max_pending`.
    SlowConsumerPendingBytes = 5,
    /// A socket write blocked longer than `write_deadline` (decided in TS).
    SlowConsumerWriteDeadline = 6,
    /// More PINGs outstanding than `ping_max`.
    StaleConnection = 7,
    /// CONNECT asked for a protocol level this server does not speak.
    BadClientProtocolVersion = 8,
    /// CONNECT asked for no_responders without headers.
    NoRespondersRequiresHeaders = 9,
    /// The client sent `-ERR`.
    ParseError = 10,
    /// Authentication failed or an op came before the required CONNECT.
    AuthenticationViolation = 11,
    /// No CONNECT within `auth_timeout`.
    AuthenticationTimeout = 12,
    /// `max_connections` reached at accept.
    MaxConnectionsExceeded = 13,
    /// The server is shutting down.
    ServerShutdown = 14,
    /// Lame-duck mode is closing clients.
    LameDuckMode = 15,
    /// The TLS handshake failed or timed out (decided in TS, before the engine sees any byte).
    TlsHandshakeError = 16,
    /// A user JWT expired (or its connect window ended) while the client was connected (decided in TS).
    AuthenticationExpired = 17,
    /// The user was revoked in its account JWT while connected (decided in TS, on a config reload).
    AuthenticationRevoked = 18,
}

impl CloseReason {
    /// Decode a code received over the boundary; unknown codes count as a server-side close.
    pub fn from_code(code: u32) -> CloseReason {
        use CloseReason::*;
        const ALL: [CloseReason; 18] = [
            ClientClosed,
            ProtocolViolation,
            MaxControlLineExceeded,
            MaxPayloadExceeded,
            SlowConsumerPendingBytes,
            SlowConsumerWriteDeadline,
            StaleConnection,
            BadClientProtocolVersion,
            NoRespondersRequiresHeaders,
            ParseError,
            AuthenticationViolation,
            AuthenticationTimeout,
            MaxConnectionsExceeded,
            ServerShutdown,
            LameDuckMode,
            TlsHandshakeError,
            AuthenticationExpired,
            AuthenticationRevoked,
        ];
        ALL.into_iter().find(|r| *r as u32 == code).unwrap_or(ServerShutdown)
    }
}

/// Every `-ERR` text the client protocol can carry, as nats-server writes it (without the quotes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum WireError {
    UnknownProtocolOperation = 1,
    MaxControlLineExceeded = 2,
    MaxPayloadViolation = 3,
    MaxSubscriptionsExceeded = 4,
    InvalidSubject = 5,
    InvalidPublishSubject = 6,
    NoRespondersRequiresHeaders = 7,
    InvalidClientProtocol = 8,
    StaleConnection = 9,
    AuthorizationViolation = 10,
    AuthenticationTimeout = 11,
    MaxConnectionsExceeded = 12,
    SecureConnectionTlsRequired = 13,
    UserAuthenticationExpired = 14,
    UserAuthenticationRevoked = 15,
}

impl WireError {
    /// The text between the quotes of `-ERR '...'`.
    pub fn text(self) -> &'static str {
        match self {
            WireError::UnknownProtocolOperation => "Unknown Protocol Operation",
            WireError::MaxControlLineExceeded => "maximum control line exceeded",
            WireError::MaxPayloadViolation => "Maximum Payload Violation",
            WireError::MaxSubscriptionsExceeded => "maximum subscriptions exceeded",
            WireError::InvalidSubject => "Invalid Subject",
            WireError::InvalidPublishSubject => "Invalid Publish Subject",
            WireError::NoRespondersRequiresHeaders => "no responders requires headers support",
            WireError::InvalidClientProtocol => "invalid client protocol",
            WireError::StaleConnection => "Stale Connection",
            WireError::AuthorizationViolation => "Authorization Violation",
            WireError::AuthenticationTimeout => "Authentication Timeout",
            WireError::MaxConnectionsExceeded => "maximum connections exceeded",
            WireError::SecureConnectionTlsRequired => "Secure Connection - TLS Required",
            WireError::UserAuthenticationExpired => "User Authentication Expired",
            WireError::UserAuthenticationRevoked => "User Authentication Revoked",
        }
    }

    /// Decode a code received over the boundary.
    pub fn from_code(code: u32) -> Option<WireError> {
        use WireError::*;
        const ALL: [WireError; 15] = [
            UnknownProtocolOperation,
            MaxControlLineExceeded,
            MaxPayloadViolation,
            MaxSubscriptionsExceeded,
            InvalidSubject,
            InvalidPublishSubject,
            NoRespondersRequiresHeaders,
            InvalidClientProtocol,
            StaleConnection,
            AuthorizationViolation,
            AuthenticationTimeout,
            MaxConnectionsExceeded,
            SecureConnectionTlsRequired,
            UserAuthenticationExpired,
            UserAuthenticationRevoked,
        ];
        ALL.into_iter().find(|e| *e as u32 == code)
    }

    /// Append `-ERR '<text>'\r\n` to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"-ERR '");
        out.extend_from_slice(self.text().as_bytes());
        out.extend_from_slice(b"'\r\n");
    }
}

/// Append `-ERR 'Permissions Violation for Subscription to "<subject>"[ using queue "<queue>"]'\r\n`.
pub fn write_sub_permission_violation(out: &mut Vec<u8>, subject: &[u8], queue: Option<&[u8]>) {
    write_sub_violation(out, subject, queue, None);
}

/// The form a config reload sends for each subscription the client's new permissions deny (nats-server's
/// `processSubsOnConfigReload`): `-ERR 'Permissions Violation for Subscription to "<subject>"[ using queue
/// "<queue>"] (sid "<sid>")'\r\n`.
pub fn write_removed_sub_violation(out: &mut Vec<u8>, subject: &[u8], queue: Option<&[u8]>, sid: &[u8]) {
    write_sub_violation(out, subject, queue, Some(sid));
}

fn write_sub_violation(out: &mut Vec<u8>, subject: &[u8], queue: Option<&[u8]>, sid: Option<&[u8]>) {
    out.extend_from_slice(b"-ERR 'Permissions Violation for Subscription to \"");
    out.extend_from_slice(subject);
    if let Some(q) = queue {
        out.extend_from_slice(b"\" using queue \"");
        out.extend_from_slice(q);
    }
    out.push(b'"');
    if let Some(sid) = sid {
        out.extend_from_slice(b" (sid \"");
        out.extend_from_slice(sid);
        out.extend_from_slice(b"\")");
    }
    out.extend_from_slice(b"'\r\n");
}

/// Append `-ERR 'Permissions Violation for Publish to "<subject>"'\r\n`.
pub fn write_pub_permission_violation(out: &mut Vec<u8>, subject: &[u8]) {
    out.extend_from_slice(b"-ERR 'Permissions Violation for Publish to \"");
    out.extend_from_slice(subject);
    out.extend_from_slice(b"\"'\r\n");
}

/// The same violation as text without the `-ERR` framing: a message trace's ingress error.
pub fn pub_permission_violation_text(subject: &[u8]) -> String {
    format!("Permissions Violation for Publish to \"{}\"", String::from_utf8_lossy(subject))
}

/// Why a traced message was not delivered to a subscription: the `error` of its egress trace event, as
/// nats-server words it (`msgtrace.go`).
pub const TRACE_NO_ECHO: &str = "Not delivered because of no echo";
pub const TRACE_CLIENT_CLOSED: &str = "Not delivered because client is closed";
pub const TRACE_AUTO_UNSUB_EXCEEDED: &str = "Not delivered because auto-unsubscribe exceeded";

/// A fatal outcome: what to tell the client, if anything, and why the connection closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fatal {
    /// The `-ERR` to send before closing; `None` closes silently, as nats-server does for slow consumers
    /// and for some malformed arguments.
    pub error: Option<WireError>,
    /// The recorded close reason.
    pub reason: CloseReason,
}

impl Fatal {
    pub const fn new(error: Option<WireError>, reason: CloseReason) -> Fatal {
        Fatal { error, reason }
    }

    /// `-ERR 'Unknown Protocol Operation'`, then close: any byte the parser cannot place.
    pub const PARSE: Fatal = Fatal::new(Some(WireError::UnknownProtocolOperation), CloseReason::ProtocolViolation);
    /// Malformed PUB/SUB/UNSUB arguments: nats-server returns the error from its arg processing without
    /// writing `-ERR`, and the read loop closes the connection.
    pub const BAD_ARGS: Fatal = Fatal::new(None, CloseReason::ProtocolViolation);
    pub const MAX_CONTROL_LINE: Fatal =
        Fatal::new(Some(WireError::MaxControlLineExceeded), CloseReason::MaxControlLineExceeded);
    pub const MAX_PAYLOAD: Fatal = Fatal::new(Some(WireError::MaxPayloadViolation), CloseReason::MaxPayloadExceeded);
    pub const BAD_PROTOCOL: Fatal =
        Fatal::new(Some(WireError::InvalidClientProtocol), CloseReason::BadClientProtocolVersion);
    pub const NO_RESPONDERS_NEEDS_HEADERS: Fatal =
        Fatal::new(Some(WireError::NoRespondersRequiresHeaders), CloseReason::NoRespondersRequiresHeaders);
    pub const CLIENT_ERR: Fatal = Fatal::new(None, CloseReason::ParseError);
    pub const SLOW_CONSUMER: Fatal = Fatal::new(None, CloseReason::SlowConsumerPendingBytes);
    pub const STALE: Fatal = Fatal::new(Some(WireError::StaleConnection), CloseReason::StaleConnection);
    pub const AUTH_VIOLATION: Fatal =
        Fatal::new(Some(WireError::AuthorizationViolation), CloseReason::AuthenticationViolation);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in 1..=15 {
            let e = WireError::from_code(code).expect("known code");
            assert_eq!(e as u32, code);
        }
        assert_eq!(WireError::from_code(0), None);
        assert_eq!(WireError::from_code(16), None);
    }

    #[test]
    fn wire_form() {
        let mut out = Vec::new();
        WireError::MaxPayloadViolation.write_to(&mut out);
        assert_eq!(out, b"-ERR 'Maximum Payload Violation'\r\n");
    }

    #[test]
    fn removed_subscription_form() {
        let mut out = Vec::new();
        write_removed_sub_violation(&mut out, b"bar", Some(b"q1"), b"2");
        write_removed_sub_violation(&mut out, b"bar", None, b"3");
        assert_eq!(
            out,
            &b"-ERR 'Permissions Violation for Subscription to \"bar\" using queue \"q1\" (sid \"2\")'\r\n\
               -ERR 'Permissions Violation for Subscription to \"bar\" (sid \"3\")'\r\n"[..]
        );
    }
}
