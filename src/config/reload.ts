// Config reload (SIGHUP, `--signal reload`): re-read the config file, layer the command-line flags over it as
// at startup (nats-server's MergeOptions over FlagSnapshot), check it, and list what changed in
// nats-server's words. An option nats-server cannot change on a running server makes the whole reload fail
// with its text, `config reload not supported for <Field>: old=<v>, new=<v>`, and the server keeps running on
// its current configuration. Applying the plan is the server's job (Server.reload).

import { buildAuthConfig, type AuthConfig } from '../auth/config.js';
import { ConfigError, ConfigProcessError, loadConfigFile } from './config-file.js';
import { formatGoDuration } from './duration.js';
import { configFileDigest } from './config-digest.js';
import { buildOptions, validateOptions, type Options } from './options.js';
import { loadTlsSettings, type TlsSettings } from '../net/tls-settings.js';

export class ReloadError extends Error {
  override name = 'ReloadError';
}

export interface ReloadPlan {
  options: Options;
  auth: AuthConfig;
  /** TLS on the client port (PEM texts read again), undefined when off. New connections use it. */
  tls: TlsSettings | undefined;
  /** The `Reloaded: …` texts (without that prefix), in nats-server's order: its Options struct's. */
  changes: string[];
  /** `sha256:…` of the file as nats-server computes it (logged after `Reloaded server configuration`). */
  digest: string;
  /** Logging options changed: the logger is rebuilt after the changes are logged. */
  loggingChanged: boolean;
  warnings: string[];
}

type Value = Options[keyof Options];


/**
 * One option as nats-server's diffOptions sees it: `reloaded` gives the `Reloaded:` text for a new value; an
 * option without it cannot be reloaded and is named by its Go field in the error. `go` values are printed as
 * Go's %v prints them (durations as Go durations).
 */
interface Rule {
  key: keyof Options;
  go: string;
  reloaded?: (v: Value) => string;
  duration?: boolean;
  logging?: boolean;
}

const AUTH_RULES = Symbol('auth');
const TLS_RULES = Symbol('tls');

// In the order of the fields of nats-server's Options struct (server/opts.go), which is the order it logs
// changes in and the order in which the first unsupported change is found.
const RULES: (Rule | typeof AUTH_RULES | typeof TLS_RULES)[] = [
  { key: 'serverName', go: 'ServerName' },
  { key: 'host', go: 'Host' },
  { key: 'port', go: 'Port' },
  { key: 'trace', go: 'Trace', reloaded: (v) => `trace = ${String(v)}`, logging: true },
  { key: 'debug', go: 'Debug', reloaded: (v) => `debug = ${String(v)}`, logging: true },
  { key: 'traceVerbose', go: 'TraceVerbose', reloaded: (v) => `trace_verbose = ${String(v)}`, logging: true },
  { key: 'noHeaderSupport', go: 'NoHeaderSupport' },
  { key: 'logtime', go: 'Logtime', reloaded: (v) => `logtime = ${String(v)}`, logging: true },
  { key: 'logtimeUTC', go: 'LogtimeUTC', reloaded: (v) => `logtime_utc = ${String(v)}`, logging: true },
  { key: 'maxConnections', go: 'MaxConn', reloaded: (v) => `max_connections = ${String(v)}` },
  { key: 'maxSubscriptions', go: 'MaxSubs' },
  AUTH_RULES,
  { key: 'pingInterval', go: 'PingInterval', reloaded: (v) => `ping_interval = ${formatGoDuration(v as number)}` },
  { key: 'pingMax', go: 'MaxPingsOut', reloaded: (v) => `ping_max = ${String(v)}` },
  { key: 'httpHost', go: 'HTTPHost' },
  { key: 'httpPort', go: 'HTTPPort' },
  { key: 'httpBasePath', go: 'HTTPBasePath' },
  { key: 'httpsPort', go: 'HTTPSPort' },
  { key: 'authTimeout', go: 'AuthTimeout', reloaded: (v) => `authorization timeout = ${(v as number) / 1000}` },
  { key: 'maxControlLine', go: 'MaxControlLine', reloaded: (v) => `max_control_line = ${String(v)}` },
  { key: 'maxPayload', go: 'MaxPayload', reloaded: (v) => `max_payload = ${String(v)}` },
  { key: 'maxPending', go: 'MaxPending' },
  { key: 'clusterListen', go: 'Cluster' },
  { key: 'clusterName', go: 'Cluster' },
  { key: 'clusterAdvertise', go: 'Cluster' },
  { key: 'clusterNoAdvertise', go: 'Cluster' },
  { key: 'clusterConnectRetries', go: 'Cluster' },
  { key: 'routes', go: 'Routes' },
  { key: 'jetstream', go: 'JetStream' },
  { key: 'storeDir', go: 'StoreDir' },
  { key: 'profPort', go: 'ProfPort' },
  { key: 'tlsTimeout', go: 'TLSTimeout', reloaded: (v) => `tls timeout = ${(v as number) / 1000}` },
  TLS_RULES,
  { key: 'logFile', go: 'LogFile', reloaded: (v) => `log_file = ${String(v)}`, logging: true },
  { key: 'logSizeLimit', go: 'LogSizeLimit' },
  { key: 'logMaxFiles', go: 'LogMaxFiles' },
  // Myelin's own (JSON log lines).
  { key: 'logJson', go: 'log_json', reloaded: (v) => `log_json = ${String(v)}`, logging: true },
  { key: 'pidFile', go: 'PidFile', reloaded: (v) => `pid_file = ${String(v)}` },
  { key: 'portsFileDir', go: 'PortsFileDir', reloaded: (v) => `ports_file_dir = ${String(v)}` },
  { key: 'writeDeadline', go: 'WriteDeadline', reloaded: (v) => `write_deadline = ${formatGoDuration(v as number)}` },
  { key: 'lameDuckDuration', go: 'LameDuckDuration', duration: true },
  { key: 'lameDuckGracePeriod', go: 'LameDuckGracePeriod', duration: true },
  { key: 'maxClosedClients', go: 'MaxClosedClients' },
  // Myelin's own: the thread count is fixed at startup.
  { key: 'workers', go: 'workers' },
];
// Not compared: configFile (the same file), the credentials flags (part of the auth comparison), and the
// options accepted for compatibility but not used (syslog, log size limit, traced message length,
// client_advertise).

/**
 * Build the new configuration from `configFile` and the flags given at startup, and compare it with the
 * running one. `boundPort` is the client port actually bound (a random port `-1` stays what it is).
 * Throws ReloadError with nats-server's text when the file is bad or an option cannot change.
 */
export function planReload(
  current: Options,
  currentAuth: AuthConfig,
  currentTls: TlsSettings | undefined,
  flags: Partial<Options>,
  boundPort: number,
): ReloadPlan {
  const file = current.configFile;
  if (file === '') throw new ReloadError('can only reload config when a file is provided using -c or --config');
  let options: Options;
  let auth: AuthConfig;
  let tls: TlsSettings | undefined;
  let digest: string;
  const warnings: string[] = [];
  try {
    const fromFile = loadConfigFile(file);
    warnings.push(...fromFile.warnings);
    options = buildOptions(fromFile.options, flags);
    warnings.push(...validateOptions(options));
    const built = buildAuthConfig(fromFile.auth, flags, { tlsMap: options.tls && options.tlsMap });
    auth = built.config;
    tls = loadTlsSettings(options);
    digest = configFileDigest(file);
  } catch (err) {
    if (err instanceof ConfigProcessError) throw new ReloadError(err.errors.map((e) => e.message).join('\n'));
    if (err instanceof ConfigError || err instanceof Error) throw new ReloadError(err.message);
    throw new ReloadError(String(err));
  }
  // nats-server refuses a change of the trusted operators (its text then prints Go structures).
  const operators = (a: AuthConfig): string => (a.operator?.operators ?? []).map((o) => o.claims.sub ?? '').join(' ');
  const jwts = (a: AuthConfig): string => JSON.stringify((a.operator?.operators ?? []).map((o) => o.claims));
  if (jwts(currentAuth) !== jwts(auth)) {
    throw new ReloadError(`config reload not supported for TrustedOperators: old=[${operators(currentAuth)}], new=[${operators(auth)}]`);
  }
  // nats-server compares against the port it bound when the old or the new value asks for a random one.
  if (options.port === -1 || options.port === boundPort) options.port = current.port;

  const changes: string[] = [];
  let loggingChanged = false;
  for (const rule of RULES) {
    if (rule === AUTH_RULES) {
      changes.push(...authChanges(currentAuth, auth));
      continue;
    }
    if (rule === TLS_RULES) {
      changes.push(...tlsChanges(currentTls, tls));
      continue;
    }
    const before = current[rule.key];
    const after = options[rule.key];
    if (before === after) continue;
    if (rule.reloaded === undefined) {
      const show = (v: Value): string => (rule.duration === true ? formatGoDuration(v as number) : String(v));
      throw new ReloadError(`config reload not supported for ${rule.go}: old=${show(before)}, new=${show(after)}`);
    }
    changes.push(rule.reloaded(after));
    if (rule.logging === true) loggingChanged = true;
  }
  return { options, auth, tls, digest, changes, loggingChanged, warnings };
}

/**
 * nats-server's `tls = enabled|disabled` line, for any change of the certificate, key, CA (their contents
 * too: a rotated certificate under the same path), verification, mapping or handshake_first. New
 * connections get the new settings; established ones keep their session.
 */
function tlsChanges(before: TlsSettings | undefined, after: TlsSettings | undefined): string[] {
  const out: string[] = [];
  const rest = (t: TlsSettings | undefined): string => (t === undefined ? '' : JSON.stringify({ ...t, timeoutMs: 0 }));
  if (rest(before) !== rest(after)) out.push(`tls = ${after !== undefined ? 'enabled' : 'disabled'}`);
  return out;
}

/**
 * The authorization part of the diff. nats-server rebuilds its users and accounts on every reload and logs
 * `authorization users` and `accounts` each time (observed with nats-server 2.12); nkey users, the single
 * user's name and password, and the token are logged when they change.
 */
function authChanges(before: AuthConfig, after: AuthConfig): string[] {
  const out: string[] = [];
  if ((before.nkeys.length > 0 || after.nkeys.length > 0) && JSON.stringify(before.nkeys) !== JSON.stringify(after.nkeys)) {
    out.push('authorization nkey users');
  }
  out.push('authorization users', 'accounts');
  if (before.username !== after.username) out.push('authorization username');
  if (before.password !== after.password) out.push('authorization password');
  if (before.token !== after.token) out.push('authorization token');
  return out;
}
