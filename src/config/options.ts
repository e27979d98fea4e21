// Server options: the union of what the command line and the config file can set.
// Names and meanings follow nats-server's Options struct (server/opts.go); defaults come
// from server/const.go. Every duration is in milliseconds.
//
// Options are assembled in three layers, as nats-server does:
//   defaultOptions()  <-  config file (applyConfig)  <-  explicitly given flags
// and then checked with validateOptions(), which mirrors nats-server's validateOptions().

import { availableParallelism } from 'node:os';
import { formatGoDuration } from './duration.js';

export interface Options {
  // --- Client listener -----------------------------------------------------------------
  /** Interface to bind (`-a`, `listen`, `host`/`net`). */
  host: string;
  /** Client port (`-p`, `listen`, `port`). -1 asks for a random free port; 0 means the default 4222. */
  port: number;
  /** Server name (`-n`, `server_name`). Empty means "generate one" (nats-server uses the server's public key). */
  serverName: string;
  /** URL advertised to clients instead of the bound address (`--client_advertise`). Accepted, not yet used. */
  clientAdvertise: string;

  // --- Limits -------------------------------------------------------------------------
  /** Largest message payload a client may publish, in bytes. */
  maxPayload: number;
  /** Largest protocol control line, in bytes. */
  maxControlLine: number;
  /** Per-connection limit of bytes buffered for writing before the client is a slow consumer. */
  maxPending: number;
  /** Maximum client connections. Negative means no connection is accepted (config `max_connections: 0`). */
  maxConnections: number;
  /** Maximum subscriptions per connection; 0 means unlimited. */
  maxSubscriptions: number;

  // --- Liveness and deadlines -----------------------------------------------------------
  /** Interval between server PINGs to idle clients, ms. */
  pingInterval: number;
  /** Unanswered PINGs after which a client is disconnected. */
  pingMax: number;
  /** Time a client has to send CONNECT when authentication is required, ms. */
  authTimeout: number;
  /** Time a blocked write may take before the client is considered slow, ms. */
  writeDeadline: number;
  /** How long lame duck mode spreads client disconnects over, ms. */
  lameDuckDuration: number;
  /** Delay before lame duck mode starts closing clients, ms. */
  lameDuckGracePeriod: number;
  /** Refuse HPUB/HMSG (headers) when true. */
  noHeaderSupport: boolean;

  // --- Logging ---------------------------------------------------------------------------
  debug: boolean;
  trace: boolean;
  /** Verbose trace (`-VV`, `trace_verbose`): also traces the system account in nats-server. */
  traceVerbose: boolean;
  /** `trace_headers`: trace (implies `trace`), showing messages' header blocks instead of their payloads. */
  traceHeaders: boolean;
  /** Prefix log lines with a timestamp (`-T`, `logtime`). */
  logtime: boolean;
  /** Timestamps in UTC rather than local time (`--logtime_utc`, `logtime_utc`). */
  logtimeUTC: boolean;
  /** Append log lines to this file instead of stderr (`-l`, `log_file`). */
  logFile: string;
  /** Rotate the log file once it passes this many bytes; 0 = never (`--log_size_limit`, `logfile_size_limit`). */
  logSizeLimit: number;
  /** Keep at most this many log files (the live one plus backups) when rotating; 0 = all (`logfile_max_num`). */
  logMaxFiles: number;
  /** Myelin's own: one JSON object per log line instead of nats-server's text format (`--log_json`). */
  logJson: boolean;
  /** Truncate traced message bodies to this many bytes; 0 = unlimited (`--max_traced_msg_len`). */
  maxTracedMsgLen: number;
  /** Log to syslog (`-s`). Accepted and warned about: Myelin logs to stderr or the log file. */
  syslog: boolean;
  /** Remote syslog address (`-r`). Accepted and warned about, as `syslog`. */
  remoteSyslog: string;

  // --- Process files ---------------------------------------------------------------------
  /** Write the process id here (`-P`, `pid_file`). */
  pidFile: string;
  /** Write `<exe>_<pid>.ports` in this directory (`--ports_file_dir`, `ports_file_dir`). */
  portsFileDir: string;
  /** The config file the options were read from (`-c`), empty if none. */
  configFile: string;

  // --- TLS on the client port (`tls { ... }` or the --tls* flags; see src/net/tls-settings.ts) ----
  /** Serve clients over TLS (a `tls` block, or any --tls* flag but `--tls=false`). */
  tls: boolean;
  /** Server certificate and key files (`cert_file`, `key_file`, `--tlscert`, `--tlskey`). */
  tlsCert: string;
  tlsKey: string;
  /** CA file for client certificates (`ca_file`, `--tlscacert`). */
  tlsCaCert: string;
  /** Require a client certificate signed by the CA (`verify`, `verify_and_map`, `--tlsverify`). */
  tlsVerify: boolean;
  /** Take the user from the client certificate (`verify_and_map`). */
  tlsMap: boolean;
  /** Time a client has to complete the TLS handshake, ms (`timeout`). */
  tlsTimeout: number;
  /** TLS handshake before INFO (`handshake_first`). */
  tlsHandshakeFirst: boolean;

  // --- JetStream -------------------------------------------------------------------------
  jetstream: boolean;
  storeDir: string;
  /** `jetstream { max_memory_store }` in bytes; -1 = no limit reported. */
  maxMemoryStore: number;
  /** `jetstream { max_file_store }` in bytes; -1 = no limit reported. */
  maxFileStore: number;
  /**
   * `jetstream { sync_interval }`: 0 (default) = fsync before each publish ack, one fsync per loop turn for
   * all of that turn's publishes (group commit); -1 = `always` (fsync every message); > 0 = fsync every n ms
   * and ack without waiting (nats-server's default behaviour, 2 minutes there).
   */
  syncInterval: number;

  // --- Monitoring ---------------------------------------------------------------------------
  /** Monitoring interface (`http: host:port`); empty means the client interface (`host`). */
  httpHost: string;
  /** Monitoring HTTP port (`-m`, `http_port`, `http`); 0 = off, -1 = random. */
  httpPort: number;
  /** Monitoring HTTPS port (`-ms`, `https_port`, `https`); 0 = off, -1 = random. Needs a TLS cert and key. */
  httpsPort: number;
  /** Prefix of every monitoring path (`http_base_path`). */
  httpBasePath: string;
  /** Closed connections remembered for /connz?state=closed (`max_closed_clients`). */
  maxClosedClients: number;

  // --- Accepted for command-line compatibility, not implemented in this release ----------
  /** Profiling HTTP port (`--profile`). */
  profPort: number;
  username: string;
  password: string;
  /** Authorization token (`--auth`). */
  authorization: string;
  /** Comma separated route URLs (`--routes`). */
  routes: string;
  /** Cluster listen URL (`--cluster`, `--cluster_listen`). */
  clusterListen: string;
  clusterName: string;
  clusterAdvertise: string;
  clusterNoAdvertise: boolean;
  clusterConnectRetries: number;

  // --- WebSocket (`websocket { ... }`) -------------------------------------------------------
  websocket: WebsocketOptions;

  // --- Myelin only -------------------------------------------------------------------------
  /** Data-plane worker threads (`--workers`); defaults to the number of usable cores. */
  workers: number;
}

/** nats-server's WebsocketOpts, for the keys Myelin implements. Port 0 means no WebSocket listener. */
export interface WebsocketOptions {
  host: string;
  /** -1 asks for a random free port. */
  port: number;
  /** Run without TLS (required: Myelin's WebSocket listener has no TLS yet). */
  noTls: boolean;
  /** The Origin header, when present, must match the request's Host. */
  sameOrigin: boolean;
  /** When not empty, the Origin header, when present, must be one of these (scheme, host and port). */
  allowedOrigins: string[];
  /** Negotiate permessage-deflate with clients that offer it. */
  compression: boolean;
  /** Time allowed for the HTTP upgrade request, ms; 0 = the listener's default. */
  handshakeTimeout: number;
  /** Extra headers for the upgrade response. */
  headers: Record<string, string>;
}

// Defaults, from nats-server's server/const.go.
export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_PORT = 4222;
/** Port value that asks the OS for a random free port. */
export const RANDOM_PORT = -1;
export const MAX_PAYLOAD_SIZE = 1024 * 1024;
/** Payloads above this draw a startup warning in nats-server. */
export const MAX_PAYLOAD_MAX_SIZE = 8 * 1024 * 1024;
export const MAX_CONTROL_LINE_SIZE = 4096;
export const MAX_PENDING_SIZE = 64 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 64 * 1024;
export const DEFAULT_PING_INTERVAL_MS = 2 * 60_000;
export const DEFAULT_PING_MAX_OUT = 2;
export const AUTH_TIMEOUT_MS = 2_000;
export const DEFAULT_FLUSH_DEADLINE_MS = 10_000;
export const DEFAULT_LAME_DUCK_DURATION_MS = 2 * 60_000;
export const DEFAULT_LAME_DUCK_GRACE_PERIOD_MS = 10_000;
export const DEFAULT_MAX_CLOSED_CLIENTS = 10_000;
/** nats-server's TLS_TIMEOUT: time to complete the TLS handshake. */
export const TLS_TIMEOUT_MS = 2_000;

/** A complete set of options with every default applied. */
export function defaultOptions(): Options {
  return {
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    serverName: '',
    clientAdvertise: '',
    maxPayload: MAX_PAYLOAD_SIZE,
    maxControlLine: MAX_CONTROL_LINE_SIZE,
    maxPending: MAX_PENDING_SIZE,
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    maxSubscriptions: 0,
    pingInterval: DEFAULT_PING_INTERVAL_MS,
    pingMax: DEFAULT_PING_MAX_OUT,
    authTimeout: AUTH_TIMEOUT_MS,
    writeDeadline: DEFAULT_FLUSH_DEADLINE_MS,
    lameDuckDuration: DEFAULT_LAME_DUCK_DURATION_MS,
    lameDuckGracePeriod: DEFAULT_LAME_DUCK_GRACE_PERIOD_MS,
    noHeaderSupport: false,
    debug: false,
    trace: false,
    traceVerbose: false,
    traceHeaders: false,
    logtime: true,
    logtimeUTC: false,
    logFile: '',
    logSizeLimit: 0,
    maxTracedMsgLen: 0,
    logMaxFiles: 0,
    logJson: false,
    syslog: false,
    remoteSyslog: '',
    pidFile: '',
    portsFileDir: '',
    configFile: '',
    jetstream: false,
    storeDir: '',
    httpHost: '',
    maxMemoryStore: -1,
    maxFileStore: -1,
    syncInterval: 0,
    httpPort: 0,
    httpsPort: 0,
    httpBasePath: '',
    maxClosedClients: DEFAULT_MAX_CLOSED_CLIENTS,
    profPort: 0,
    username: '',
    password: '',
    authorization: '',
    tls: false,
    tlsCert: '',
    tlsKey: '',
    tlsCaCert: '',
    tlsVerify: false,
    tlsMap: false,
    tlsTimeout: TLS_TIMEOUT_MS,
    tlsHandshakeFirst: false,
    routes: '',
    clusterListen: '',
    clusterName: '',
    clusterAdvertise: '',
    clusterNoAdvertise: false,
    clusterConnectRetries: 0,
    websocket: defaultWebsocketOptions(),
    workers: availableParallelism(),
  };
}

export function defaultWebsocketOptions(): WebsocketOptions {
  return {
    host: '',
    port: 0,
    noTls: false,
    sameOrigin: false,
    allowedOrigins: [],
    compression: false,
    handshakeTimeout: 0,
    headers: {},
  };
}

/**
 * Layers config-file values and command-line values over the defaults. Only the keys
 * present in each layer count, so a flag given explicitly (even `-T=false`) beats the file,
 * which is the effect of nats-server re-parsing the flags after reading the config file.
 * Zero values are then replaced by defaults exactly where nats-server's
 * setBaselineOptions() does it (e.g. `port: 0` means 4222, `ping_max: 0` means 2).
 */
export function buildOptions(fromFile: Partial<Options>, fromFlags: Partial<Options>): Options {
  const merged: Options = { ...defaultOptions(), ...definedOnly(fromFile), ...definedOnly(fromFlags) };
  const out = applyBaseline(applyTlsFlags(merged, fromFlags));
  // nats-server's getDefaultAuthTimeout: with TLS, a client gets the TLS timeout plus one second to
  // authenticate unless a timeout is configured.
  const authTimeout = fromFlags.authTimeout ?? fromFile.authTimeout ?? 0;
  if (authTimeout === 0 && out.tls) out.authTimeout = out.tlsTimeout + 1000;
  return out;
}

/** nats-server's setBaselineOptions: zero means "use the default" for these fields. */
export function applyBaseline(opts: Options): Options {
  const out = { ...opts };
  if (out.host === '') out.host = DEFAULT_HOST;
  if (out.httpHost === '') out.httpHost = out.host;
  if (out.maxClosedClients === 0) out.maxClosedClients = DEFAULT_MAX_CLOSED_CLIENTS;
  if (out.port === 0) out.port = DEFAULT_PORT;
  if (out.maxConnections === 0) out.maxConnections = DEFAULT_MAX_CONNECTIONS;
  if (out.pingInterval === 0) out.pingInterval = DEFAULT_PING_INTERVAL_MS;
  if (out.pingMax === 0) out.pingMax = DEFAULT_PING_MAX_OUT;
  if (out.authTimeout === 0) out.authTimeout = AUTH_TIMEOUT_MS;
  if (out.maxControlLine === 0) out.maxControlLine = MAX_CONTROL_LINE_SIZE;
  if (out.maxPayload === 0) out.maxPayload = MAX_PAYLOAD_SIZE;
  if (out.maxPending === 0) out.maxPending = MAX_PENDING_SIZE;
  if (out.writeDeadline === 0) out.writeDeadline = DEFAULT_FLUSH_DEADLINE_MS;
  if (out.lameDuckDuration === 0) out.lameDuckDuration = DEFAULT_LAME_DUCK_DURATION_MS;
  if (out.lameDuckGracePeriod === 0) out.lameDuckGracePeriod = DEFAULT_LAME_DUCK_GRACE_PERIOD_MS;
  if (out.workers <= 0) out.workers = availableParallelism();
  if (out.tlsTimeout === 0) out.tlsTimeout = TLS_TIMEOUT_MS;
  if (out.websocket.port !== 0 && out.websocket.host === '') out.websocket = { ...out.websocket, host: DEFAULT_HOST };
  return out;
}

const TLS_FLAG_KEYS = ['tlsCert', 'tlsKey', 'tlsCaCert', 'tlsVerify'] as const;

/**
 * nats-server's handling of the --tls* flags: `--tls=false` turns TLS off whatever the file says; any other
 * --tls* flag turns it on with the certificate, key, CA and verify taken from the flags alone (the file's
 * `tls` block is replaced, keeping only its timeout, mapping and handshake_first). So `--tlsverify` implies TLS.
 */
function applyTlsFlags(merged: Options, fromFlags: Partial<Options>): Options {
  if (fromFlags.tls === false) return { ...merged, tls: false };
  const given = fromFlags.tls === true || TLS_FLAG_KEYS.some((k) => fromFlags[k] !== undefined);
  if (!given) return merged;
  if (fromFlags.tlsCert === undefined || fromFlags.tlsCert === '') {
    throw new OptionsError('TLS Server certificate must be present and valid');
  }
  if (fromFlags.tlsKey === undefined || fromFlags.tlsKey === '') {
    throw new OptionsError('TLS Server private key must be present and valid');
  }
  return {
    ...merged,
    tls: true,
    tlsCert: fromFlags.tlsCert ?? '',
    tlsKey: fromFlags.tlsKey ?? '',
    tlsCaCert: fromFlags.tlsCaCert ?? '',
    tlsVerify: fromFlags.tlsVerify ?? false,
  };
}

/** Thrown by validateOptions; the message is nats-server's wording for the same problem. */
export class OptionsError extends Error {
  override name = 'OptionsError';
}

/**
 * The startup checks of nats-server's validateOptions() that apply to what Myelin
 * implements. Throws OptionsError on the first problem, as nats-server stops at the first.
 * Returns the warnings nats-server logs at startup for legal but unwise settings.
 */
export function validateOptions(opts: Options): string[] {
  if (opts.lameDuckDuration > 0 && opts.lameDuckGracePeriod >= opts.lameDuckDuration) {
    throw new OptionsError(
      `lame duck grace period (${formatGoDuration(opts.lameDuckGracePeriod)}) should be strictly lower ` +
        `than lame duck duration (${formatGoDuration(opts.lameDuckDuration)})`,
    );
  }
  if (opts.maxPayload > opts.maxPending) {
    throw new OptionsError(
      `max_payload (${opts.maxPayload}) cannot be higher than max_pending (${opts.maxPending})`,
    );
  }
  if (opts.serverName.includes(' ')) {
    throw new OptionsError('server name cannot contain spaces');
  }
  validateWebsocketOptions(opts.websocket);
  // Myelin-only: the worker count sizes a thread pool, so it must be a positive integer.
  if (!Number.isInteger(opts.workers) || opts.workers < 1) {
    throw new OptionsError(`workers must be a positive integer, got ${opts.workers}`);
  }

  const warnings: string[] = [];
  if (opts.maxPayload > MAX_PAYLOAD_MAX_SIZE) {
    warnings.push('Maximum payloads over 8.00 MB are generally discouraged and could lead to poor performance');
  }
  return warnings;
}

/** nats-server's validateWebsocketOptions, for what Myelin implements. */
function validateWebsocketOptions(ws: WebsocketOptions): void {
  if (ws.port === 0) return;
  if (!ws.noTls) throw new OptionsError('websocket requires TLS configuration');
  for (const key of Object.keys(ws.headers)) {
    const k = key.toLowerCase();
    if (['host', 'content-length', 'connection', 'upgrade', 'nats-no-masking'].includes(k)) {
      throw new OptionsError(`websocket: invalid header ${JSON.stringify(key)} not allowed`);
    }
    if (k.startsWith('sec-websocket-')) {
      throw new OptionsError(`websocket: invalid header ${JSON.stringify(key)}, "Sec-WebSocket-" prefix not allowed`);
    }
  }
}

function definedOnly(partial: Partial<Options>): Partial<Options> {
  const out: Partial<Options> = {};
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
