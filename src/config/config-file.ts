// From a parsed configuration file to Options, with nats-server's meaning for every key
// (server/opts.go processConfigFileLine) and its wording for every complaint.
//
// Keys are matched without regard to case. Each top-level key is one of:
//   * implemented by Myelin: applied, with nats-server's checks;
//   * authentication and accounts (`authorization`, `accounts`, `no_auth_user`, `operator`,
//     `resolver`, ...): passed through unparsed in AppliedConfig.auth, for src/auth/config.ts;
//   * known to nats-server but not implemented by Myelin yet: reported as a warning and
//     ignored, except for the ones whose absence would silently weaken security
//     (OCSP, TLS keys beyond the basic ones, auth callouts, ...): those are errors, so a server is never started
//     open when its configuration asked for it to be closed;
//   * unknown to nats-server: an error, `file:line:col: unknown field "x"` (a key that only
//     served as a `$variable` is fine).
// Like nats-server, all problems are collected and reported together, warnings first.

import { defaultWebsocketOptions, type Options, type WebsocketOptions } from './options.js';
import { formatGoDuration, parseGoDuration } from './duration.js';
import {
  goTypeName,
  parseConfigFile,
  type ConfigEnvironment,
  type ConfMap,
  type ConfNode,
  type SourcePosition,
} from './config-syntax.js';

export { ConfigError, parseConfigFile, parseConfigText, confToPlain } from './config-syntax.js';
export type { ConfMap, ConfNode, ConfigEnvironment, SourcePosition } from './config-syntax.js';

/** One warning or error about a configuration key. */
export interface ConfigIssue {
  /** Complete text as nats-server prints it, e.g. `a.conf:3:1: unknown field "foo"`. */
  message: string;
  /** Where it applies; absent for problems that concern the file as a whole. */
  position?: SourcePosition;
}

/** The errors (and the warnings found alongside them) that stop a configuration from being used. */
export class ConfigProcessError extends Error {
  override name = 'ConfigProcessError';
  constructor(
    readonly errors: ConfigIssue[],
    readonly warnings: ConfigIssue[],
  ) {
    // nats-server's text: every warning, then every error, each on its own line.
    super([...warnings, ...errors].map((issue) => `${issue.message}\n`).join(''));
  }
}

export interface AppliedConfig {
  /** The options the file sets (only those; layer them with buildOptions). */
  options: Partial<Options>;
  /** Texts to log as warnings at startup (nats-server prints them before starting). */
  warnings: string[];
  /** Authentication and account settings, unparsed: give them to src/auth/config.ts. */
  auth: RawAuthConfig;
}

/**
 * The top-level keys about authentication and accounts, as parsed values (with their positions, for
 * nats-server-style messages). Aliases are folded: `operators`/`roots`/... are `operator`,
 * `account_resolver` is `resolver`, `system` is `system_account`, `trusted_keys` is `trusted`.
 * The `authorization` block is here whole (its `timeout` is also applied to Options.authTimeout).
 */
export interface RawAuthConfig {
  authorization?: ConfNode;
  accounts?: ConfNode;
  /** Subject mappings of the global account $G (src/config/mappings.ts). */
  mappings?: ConfNode;
  no_auth_user?: ConfNode;
  system_account?: ConfNode;
  no_system_account?: ConfNode;
  operator?: ConfNode;
  resolver?: ConfNode;
  resolver_preload?: ConfNode;
  resolver_pinned_accounts?: ConfNode;
  trusted?: ConfNode;
}

/**
 * Reads, parses and applies a configuration file. `options.configFile` is set to `path`.
 * Throws ConfigError when the file cannot be read or parsed, ConfigProcessError when keys
 * are wrong. Note that nats-server's `-t` treats warnings as failures too.
 */
export function loadConfigFile(path: string, env?: ConfigEnvironment): AppliedConfig {
  const config = parseConfigFile(path, env === undefined ? {} : { env });
  const applied = applyConfig(config, path);
  return { options: { ...applied.options, configFile: path }, warnings: applied.warnings, auth: applied.auth };
}

/**
 * Turns parsed configuration into options. `file` only names the file in the warning
 * nats-server gives for an empty configuration. Throws ConfigProcessError.
 */
export function applyConfig(config: ConfMap, file = ''): AppliedConfig {
  const applier = new ConfigApplier();
  if (config.size === 0) applier.warnings.push({ message: `${file}: config has no values or is empty` });
  for (const [key, node] of config) applier.applyTopLevel(key, node);
  if (applier.errors.length > 0) throw new ConfigProcessError(applier.errors, applier.warnings);
  return { options: applier.options, warnings: applier.warnings.map((w) => w.message), auth: applier.auth };
}

// ---------------------------------------------------------------------------------------

/** Top-level keys nats-server knows and Myelin does not implement yet: warned about, ignored. */
const IGNORED_TOP_LEVEL = new Set([
  'client_advertise', 'disable_sublist_cache', 'no_sublist_cache',
  'default_sentinel', 'cluster',
  'gateway', 'leaf', 'leafnodes',
  'syslog', 'remote_syslog', 'prof_port', 'prof_block_rate', 'proxy_protocol',
  'max_sub_tokens', 'max_subscription_tokens', 'write_timeout', 'connect_error_reports', 'reconnect_error_reports', 'mqtt',
  'server_tags', 'server_metadata', 'default_js_domain', 'no_fast_producer_stall',
]);

/**
 * Top-level keys nats-server knows whose absence would leave the server less protected
 * than configured (no OCSP, ...): refused.
 */
const REFUSED_TOP_LEVEL = new Set(['ocsp', 'ocsp_cache', 'allow_non_tls', 'resolver_tls', 'proxies']);

/** Top-level authentication/account keys passed through to src/auth/config.ts, by alias. */
const AUTH_TOP_LEVEL = new Map<string, keyof RawAuthConfig>([
  ['accounts', 'accounts'],
  ['mappings', 'mappings'],
  ['maps', 'mappings'],
  ['no_auth_user', 'no_auth_user'],
  ['system_account', 'system_account'],
  ['system', 'system_account'],
  ['no_system_account', 'no_system_account'],
  ['no_system', 'no_system_account'],
  ['no_sys_acc', 'no_system_account'],
  ['operator', 'operator'],
  ['operators', 'operator'],
  ['roots', 'operator'],
  ['root', 'operator'],
  ['root_operators', 'operator'],
  ['root_operator', 'operator'],
  ['resolver', 'resolver'],
  ['account_resolver', 'resolver'],
  ['accounts_resolver', 'resolver'],
  ['resolver_preload', 'resolver_preload'],
  ['resolver_pinned_accounts', 'resolver_pinned_accounts'],
  ['trusted', 'trusted'],
  ['trusted_keys', 'trusted'],
]);

/** `authorization { ... }` keys passed through to src/auth/config.ts (besides `timeout`). */
const AUTH_AUTHORIZATION = new Set([
  'user', 'username', 'pass', 'password', 'token', 'users', 'default_permission', 'default_permissions', 'permissions',
]);

/** `authorization { ... }` keys that would grant or restrict access and are not implemented: refused. */
const REFUSED_AUTHORIZATION = new Set(['auth_callout', 'auth_hook', 'proxy_required']);

/**
 * `tls { ... }` keys nats-server knows that Myelin does not implement: refused, since each one either
 * restricts who may connect or how (pinned certs, OCSP, ciphers) or names a certificate source.
 */
const REFUSED_TLS = new Set([
  'insecure', 'verify_cert_and_check_known_urls', 'allow_insecure_cipher_suites', 'cipher_suites',
  'curve_preferences', 'connection_rate_limit', 'pinned_certs', 'cert_store', 'cert_match_by', 'cert_match',
  'ca_certs_match', 'cert_match_skip_invalid', 'ocsp_peer', 'certs', 'certificates', 'min_version',
]);

/** `jetstream { ... }` keys nats-server knows that Myelin ignores for now. */
const IGNORED_JETSTREAM = new Set([
  'strict', 'domain', 'key', 'ek', 'encryption_key', 'prev_key', 'prev_ek', 'prev_encryption_key', 'cipher', 'extension_hint',
  'limits', 'tpm', 'unique_tag', 'max_outstanding_catchup', 'max_buffered_size', 'max_buffered_msgs',
  'request_queue_limit', 'meta_compact', 'meta_compact_size', 'meta_compact_sync', 'max_concurrent_io',
]);

/** `websocket { ... }` keys nats-server knows that Myelin ignores for now (their absence grants nothing). */
const IGNORED_WEBSOCKET = new Set([
  'advertise', 'jwt_cookie', 'user_cookie', 'pass_cookie', 'token_cookie', 'no_auth_user', 'ping_interval',
]);

/** `websocket { ... }` keys that would protect or restrict access and are not implemented: refused. */
const REFUSED_WEBSOCKET = new Set(['tls', 'authorization', 'authentication']);

/** Largest max_payload / max_control_line nats-server accepts (it stores them in an int32). */
const INT32_MAX = 2 ** 31 - 1;

/** Thrown inside the applier when a value has the wrong type; becomes one error. */
class WrongType extends Error {}

class ConfigApplier {
  readonly options: Partial<Options> = {};
  readonly auth: RawAuthConfig = {};
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  applyTopLevel(key: string, node: ConfNode): void {
    try {
      this.applyKey(key, node);
    } catch (err) {
      if (!(err instanceof WrongType)) throw err;
      this.error(node, err.message);
    }
  }

  private applyKey(key: string, node: ConfNode): void {
    const name = key.toLowerCase();
    const o = this.options;
    switch (name) {
      case 'listen':
        return this.applyListen(node);
      case 'http':
      case 'https': {
        const hp = this.hostPort(node);
        if (hp === undefined) return;
        if (hp.host !== undefined) o.httpHost = hp.host;
        if (name === 'http') o.httpPort = hp.port;
        else o.httpsPort = hp.port;
        return;
      }
      case 'http_port':
      case 'monitor_port':
        o.httpPort = int(node);
        return;
      case 'https_port':
        o.httpsPort = int(node);
        return;
      case 'http_base_path':
        o.httpBasePath = str(node);
        return;
      case 'max_closed_clients':
        o.maxClosedClients = int(node);
        return;
      case 'port':
        o.port = int(node);
        return;
      case 'server_name': {
        const serverName = str(node);
        if (serverName.includes(' ')) return this.error(node, 'server name cannot contain spaces');
        o.serverName = serverName;
        return;
      }
      case 'host':
      case 'net':
        o.host = str(node);
        return;
      case 'debug':
        o.debug = bool(node);
        return;
      case 'trace':
        o.trace = bool(node);
        return;
      case 'trace_headers':
        o.traceHeaders = o.trace = bool(node);
        return;
      case 'trace_verbose':
        o.traceVerbose = o.trace = bool(node);
        return;
      case 'logtime':
        o.logtime = bool(node);
        return;
      case 'logtime_utc':
        o.logtimeUTC = bool(node);
        return;
      case 'logfile':
      case 'log_file':
        o.logFile = str(node);
        return;
      case 'pidfile':
      case 'pid_file':
        o.pidFile = str(node);
        return;
      case 'ports_file_dir':
        o.portsFileDir = str(node);
        return;
      case 'logfile_size_limit':
      case 'log_size_limit':
        o.logSizeLimit = int(node);
        return;
      case 'logfile_max_num':
      case 'log_max_num':
        o.logMaxFiles = int(node);
        return;
      case 'max_traced_msg_len':
        o.maxTracedMsgLen = int(node);
        return;
      case 'max_payload':
      case 'max_control_line': {
        const size = int(node);
        if (size > INT32_MAX) return this.error(node, `${key} value is too big`);
        if (name === 'max_payload') o.maxPayload = size;
        else o.maxControlLine = size;
        return;
      }
      case 'max_pending':
        o.maxPending = int(node);
        return;
      case 'max_connections':
      case 'max_conn': {
        // In the file, 0 means "accept no connections" (nats-server stores it as -1).
        const limit = int(node);
        o.maxConnections = limit === 0 ? -1 : limit;
        return;
      }
      case 'max_subscriptions':
      case 'max_subs':
        o.maxSubscriptions = int(node);
        return;
      case 'ping_interval':
        return this.setDuration('pingInterval', 'ping_interval', node);
      case 'ping_max':
        o.pingMax = int(node);
        return;
      case 'write_deadline':
        return this.setDuration('writeDeadline', 'write_deadline', node);
      case 'lame_duck_duration':
        return this.applyLameDuckDuration(node);
      case 'lame_duck_grace_period':
        return this.applyLameDuckGracePeriod(node);
      case 'no_header_support':
        o.noHeaderSupport = bool(node);
        return;
      case 'authorization':
        return this.applyAuthorization(node);
      case 'tls':
        return this.applyTls(node);
      case 'jetstream':
        return this.applyJetStream(node);
      case 'websocket':
      case 'ws':
        return this.applyWebsocket(node);
      case 'store_dir':
      case 'storedir':
        this.setStoreDir(node);
        return;
    }
    const authKey = AUTH_TOP_LEVEL.get(name);
    if (authKey !== undefined) {
      this.auth[authKey] = node;
      return;
    }
    if (IGNORED_TOP_LEVEL.has(name)) return this.notImplemented(key, node);
    if (REFUSED_TOP_LEVEL.has(name)) return this.refused(key, node);
    if (!node.usedAsVariable) this.error(node, `unknown field ${goQuote(key)}`);
  }

  private applyListen(node: ConfNode): void {
    const hp = this.hostPort(node);
    if (hp === undefined) return;
    if (hp.host !== undefined) this.options.host = hp.host;
    this.options.port = hp.port;
  }

  /** nats-server's parseListen: a port, or "host:port" (the port may be -1). Reports an error and gives undefined. */
  private hostPort(node: ConfNode): { host?: string; port: number } | undefined {
    if (node.kind === 'int') return { port: node.value };
    if (node.kind !== 'string') {
      this.error(node, `expected port or host:port, got ${goTypeName(node)}`);
      return undefined;
    }
    const hostPort = splitHostPort(node.value);
    if (hostPort === undefined) {
      this.error(node, `could not parse address string ${goQuote(node.value)}`);
      return undefined;
    }
    if (!/^[+-]?[0-9]+$/.test(hostPort.port)) {
      this.error(node, `could not parse port ${goQuote(hostPort.port)}`);
      return undefined;
    }
    return { host: hostPort.host, port: Number(hostPort.port) };
  }

  private applyLameDuckDuration(node: ConfNode): void {
    const ms = this.parseDurationText('lame_duck_duration', node);
    if (ms === undefined) return;
    if (ms < 30_000) {
      return this.error(node, `invalid lame_duck_duration of ${formatGoDuration(ms)}, minimum is 30 seconds`);
    }
    this.options.lameDuckDuration = ms;
  }

  private applyLameDuckGracePeriod(node: ConfNode): void {
    const ms = this.parseDurationText('lame_duck_grace_period', node);
    if (ms === undefined) return;
    if (ms < 0) return this.error(node, 'invalid lame_duck_grace_period, needs to be positive');
    this.options.lameDuckGracePeriod = ms;
  }

  private applyAuthorization(node: ConfNode): void {
    const block = map(node);
    this.auth.authorization = node;
    for (const [key, child] of block) {
      const name = key.toLowerCase();
      try {
        if (name === 'timeout') {
          this.applyAuthTimeout(key, child);
        } else if (AUTH_AUTHORIZATION.has(name)) {
          // Parsed and checked by src/auth/config.ts.
        } else if (REFUSED_AUTHORIZATION.has(name)) {
          this.refused(`authorization.${key}`, child);
        } else if (!child.usedAsVariable) {
          this.error(child, `unknown field ${goQuote(key)}`);
        }
      } catch (err) {
        if (!(err instanceof WrongType)) throw err;
        this.error(child, err.message);
      }
    }
  }

  /**
   * `tls { ... }` for the client port (nats-server's parseTLS, with its texts). The files are read and
   * checked at startup by src/net/tls-settings.ts.
   */
  private applyTls(node: ConfNode): void {
    const o = this.options;
    const tlsError = (child: ConfNode, text: string): void => this.error(child, `error parsing tls config, ${text}`);
    o.tls = true;
    o.tlsVerify = false;
    o.tlsMap = false;
    for (const [key, child] of map(node)) {
      const name = key.toLowerCase();
      const expect = <T>(kind: ConfNode['kind'], what: string): T | undefined => {
        if (child.kind === kind) return child.value as T;
        tlsError(child, `expected '${name}' to be ${what}`);
        return undefined;
      };
      switch (name) {
        case 'cert_file':
          o.tlsCert = expect<string>('string', 'filename') ?? '';
          break;
        case 'key_file':
          o.tlsKey = expect<string>('string', 'filename') ?? '';
          break;
        case 'ca_file':
          o.tlsCaCert = expect<string>('string', 'filename') ?? '';
          break;
        case 'verify':
          o.tlsVerify = expect<boolean>('bool', 'a boolean') ?? false;
          break;
        case 'verify_and_map': {
          const on = expect<boolean>('bool', 'a boolean') ?? false;
          if (on) o.tlsVerify = true;
          o.tlsMap = on;
          break;
        }
        case 'timeout':
          this.applyTlsTimeout(child);
          break;
        case 'handshake_first':
        case 'first':
        case 'immediate':
          this.applyHandshakeFirst(key, child);
          break;
        default:
          if (REFUSED_TLS.has(name)) this.refused(`tls.${key}`, child);
          else if (!child.usedAsVariable) tlsError(child, `unknown field ${goQuote(key)}`);
      }
    }
    if (o.tlsCert && !o.tlsKey) this.error(node, "missing 'key_file' in TLS configuration");
    else if (!o.tlsCert && o.tlsKey) this.error(node, "missing 'cert_file' in TLS configuration");
  }

  /** `tls { timeout }`: seconds (integer or float) or a duration string. */
  private applyTlsTimeout(node: ConfNode): void {
    if (node.kind === 'int' || node.kind === 'float') {
      this.options.tlsTimeout = node.value * 1000;
    } else if (node.kind === 'string') {
      try {
        this.options.tlsTimeout = parseGoDuration(node.value);
      } catch (err) {
        this.error(node, `error parsing tls config, 'timeout' ${(err as Error).message}`);
      }
    } else {
      this.error(node, "error parsing tls config, 'timeout' wrong type");
    }
  }

  /** `handshake_first`: a boolean, or true/on/false/off; `auto` and fallback delays are not implemented. */
  private applyHandshakeFirst(key: string, node: ConfNode): void {
    if (node.kind === 'bool') {
      this.options.tlsHandshakeFirst = node.value;
      return;
    }
    if (node.kind !== 'string') {
      return this.error(node, `field ${goQuote(key)} should be a boolean or a string, got ${goTypeName(node)}`);
    }
    const value = node.value.toLowerCase();
    if (value === 'true' || value === 'on') this.options.tlsHandshakeFirst = true;
    else if (value === 'false' || value === 'off') this.options.tlsHandshakeFirst = false;
    else if (value === 'auto' || value === 'auto_fallback' || isGoDuration(node.value)) this.refused(`tls.${key}: ${node.value}`, node);
    else this.error(node, `field ${goQuote(key)}'s value ${goQuote(node.value)} is invalid`);
  }

  /** `authorization { timeout }`: seconds (integer or float) or a duration string. */
  private applyAuthTimeout(key: string, node: ConfNode): void {
    let seconds: number;
    if (node.kind === 'int' || node.kind === 'float') {
      seconds = node.value;
    } else if (node.kind === 'string') {
      try {
        seconds = parseGoDuration(node.value) / 1000;
      } catch (err) {
        return this.error(node, `error parsing authorization config, 'timeout' ${(err as Error).message}`);
      }
    } else {
      return this.error(node, "error parsing authorization config, 'timeout' wrong type");
    }
    if (seconds > 60) {
      const written = node.kind === 'string' ? node.value : String(node.value);
      this.warning(
        node,
        `invalid use of field ${goQuote(key)}: timeout of ${written} (${seconds.toFixed(6)} seconds) is high, ` +
          "consider keeping it under 60 seconds. possibly caused by unquoted duration; use '1m' instead of 1m, for example",
      );
    }
    this.options.authTimeout = seconds * 1000;
  }

  /** `jetstream: true`, `jetstream: enabled`, or `jetstream { store_dir: ..., enabled: ... }`. */
  private applyJetStream(node: ConfNode): void {
    if (node.kind === 'bool') {
      this.options.jetstream = node.value;
      return;
    }
    if (node.kind === 'string') {
      switch (node.value.toLowerCase()) {
        case 'enabled':
        case 'enable':
          this.options.jetstream = true;
          return;
        case 'disabled':
        case 'disable':
          this.options.jetstream = false;
          return;
      }
      return this.error(node, `Expected 'enabled' or 'disabled' for string value, got '${node.value}'`);
    }
    if (node.kind !== 'map') {
      return this.error(node, `Expected map, bool or string to define JetStream, got ${goTypeName(node)}`);
    }
    let enable = true;
    for (const [key, child] of node.value) {
      const name = key.toLowerCase();
      try {
        if (name === 'store' || name === 'store_dir' || name === 'storedir') {
          if (!this.setStoreDir(child)) return;
        } else if (name === 'enable' || name === 'enabled') {
          enable = bool(child);
        } else if (name === 'max_memory_store' || name === 'max_mem_store' || name === 'max_mem') {
          this.options.maxMemoryStore = int(child);
        } else if (name === 'max_file_store' || name === 'max_file') {
          this.options.maxFileStore = int(child);
        } else if (name === 'sync_interval' || name === 'sync') {
          if (child.kind === 'string' && child.value.toLowerCase() === 'always') {
            this.options.syncInterval = -1;
          } else {
            const ms = this.parseDurationText('jetstream.sync_interval', child);
            if (ms === undefined) return;
            this.options.syncInterval = ms;
          }
        } else if (IGNORED_JETSTREAM.has(name)) {
          this.notImplemented(`jetstream.${key}`, child);
        } else if (!child.usedAsVariable) {
          this.error(child, `unknown field ${goQuote(key)}`);
        }
      } catch (err) {
        if (!(err instanceof WrongType)) throw err;
        this.error(child, err.message);
      }
    }
    this.options.jetstream = enable;
  }

  /** nats-server's parseWebsocket, for the keys Myelin implements; the rest are warned about or refused. */
  private applyWebsocket(node: ConfNode): void {
    if (node.kind !== 'map') return this.error(node, `Expected websocket to be a map, got ${goTypeName(node)}`);
    const ws: WebsocketOptions = { ...defaultWebsocketOptions(), ...this.options.websocket };
    for (const [key, child] of node.value) {
      const name = key.toLowerCase();
      try {
        switch (name) {
          case 'listen': {
            const hostPort = child.kind === 'string' ? splitHostPort(child.value) : undefined;
            if (child.kind === 'int') ws.port = child.value;
            else if (hostPort === undefined || !/^[+-]?[0-9]+$/.test(hostPort.port)) {
              this.error(child, `could not parse address string ${goQuote(child.kind === 'string' ? child.value : '')}`);
            } else {
              ws.host = hostPort.host;
              ws.port = Number(hostPort.port);
            }
            break;
          }
          case 'port':
            ws.port = int(child);
            break;
          case 'host':
          case 'net':
            ws.host = str(child);
            break;
          case 'no_tls':
            ws.noTls = bool(child);
            break;
          case 'same_origin':
            ws.sameOrigin = bool(child);
            break;
          case 'allowed_origins':
          case 'allowed_origin':
          case 'allow_origins':
          case 'allow_origin':
          case 'origins':
          case 'origin':
            ws.allowedOrigins = this.stringArray('allowed origins', child);
            break;
          case 'handshake_timeout':
            if (child.kind === 'int') ws.handshakeTimeout = child.value * 1000;
            else if (child.kind === 'string') {
              const ms = this.parseDurationText('handshake_timeout', child, (err) => err.message);
              if (ms !== undefined) ws.handshakeTimeout = ms;
            } else this.error(child, `error parsing handshake timeout: unsupported type ${goTypeName(child)}`);
            break;
          case 'compress':
          case 'compression':
            ws.compression = bool(child);
            break;
          case 'headers':
            ws.headers = this.headerMap(child);
            break;
          default:
            if (IGNORED_WEBSOCKET.has(name)) this.notImplemented(`websocket.${key}`, child);
            else if (REFUSED_WEBSOCKET.has(name)) this.refused(`websocket.${key}`, child);
            else if (!child.usedAsVariable) this.error(child, `unknown field ${goQuote(key)}`);
        }
      } catch (err) {
        if (!(err instanceof WrongType)) throw err;
        this.error(child, err.message);
      }
    }
    this.options.websocket = ws;
  }

  /** nats-server's parseStringArray: one string, or an array of strings. */
  private stringArray(field: string, node: ConfNode): string[] {
    if (node.kind === 'string') return [node.value];
    if (node.kind !== 'array') {
      this.error(node, `error parsing ${field}: unsupported type ${goTypeName(node)}`);
      return [];
    }
    const out: string[] = [];
    for (const item of node.value) {
      if (item.kind === 'string') out.push(item.value);
      else this.error(item, `error parsing ${field}: unsupported type in array ${goTypeName(item)}`);
    }
    return out;
  }

  private headerMap(node: ConfNode): Record<string, string> {
    const out: Record<string, string> = {};
    if (node.kind !== 'map') {
      this.error(node, `error parsing headers: unsupported type ${goTypeName(node)}`);
      return out;
    }
    for (const [key, value] of node.value) {
      if (value.kind === 'string') out[key] = value.value;
      else this.error(value, `error parsing header key ${key}: unsupported type ${goTypeName(value)}`);
    }
    return out;
  }

  /** The store directory may be given at the top level or in the jetstream block, not both. */
  private setStoreDir(node: ConfNode): boolean {
    if (this.options.storeDir !== undefined && this.options.storeDir !== '') {
      this.error(node, "Duplicate 'store_dir' configuration");
      return false;
    }
    this.options.storeDir = str(node);
    return true;
  }

  /**
   * nats-server's parseDuration: a duration string, or (deprecated, with a warning) a
   * number of seconds.
   */
  private setDuration(option: 'pingInterval' | 'writeDeadline', field: string, node: ConfNode): void {
    if (node.kind === 'string') {
      const ms = this.parseDurationText(field, node);
      if (ms !== undefined) this.options[option] = ms;
      return;
    }
    // The warning comes first: nats-server records it before it finds out the type is wrong.
    this.warning(node, `invalid use of field ${goQuote(field)}: ${field} should be converted to a duration`);
    this.options[option] = int(node) * 1000;
  }

  private parseDurationText(
    field: string,
    node: ConfNode,
    describe: (err: Error) => string = (err) => `error parsing ${field}: ${err.message}`,
  ): number | undefined {
    try {
      return parseGoDuration(str(node));
    } catch (err) {
      if (err instanceof WrongType) throw err;
      this.error(node, describe(err as Error));
      return undefined;
    }
  }

  private notImplemented(key: string, node: ConfNode): void {
    this.warning(node, `field ${goQuote(key)} is not supported by Myelin yet and is ignored`);
  }

  private refused(key: string, node: ConfNode): void {
    this.error(node, `field ${goQuote(key)} is not supported by Myelin yet; refusing to run without it`);
  }

  private error(node: ConfNode, reason: string): void {
    this.errors.push(issueAt(node.pos, reason));
  }

  private warning(node: ConfNode, reason: string): void {
    this.warnings.push(issueAt(node.pos, reason));
  }
}

function issueAt(position: SourcePosition, reason: string): ConfigIssue {
  return { message: `${position.file}:${position.line}:${position.col}: ${reason}`, position };
}

// Typed access with nats-server's complaint for a value of the wrong type (a Go type assertion panic).

function wrongType(node: ConfNode, expected: string): WrongType {
  return new WrongType(`interface conversion: interface {} is ${goTypeName(node)}, not ${expected}`);
}

function int(node: ConfNode): number {
  if (node.kind !== 'int') throw wrongType(node, 'int64');
  return node.value;
}

function str(node: ConfNode): string {
  if (node.kind !== 'string') throw wrongType(node, 'string');
  return node.value;
}

function bool(node: ConfNode): boolean {
  if (node.kind !== 'bool') throw wrongType(node, 'bool');
  return node.value;
}

function map(node: ConfNode): ConfMap {
  if (node.kind !== 'map') throw wrongType(node, 'map[string]interface {}');
  return node.value;
}

/** Go's net.SplitHostPort: "host:port", "[v6]:port" or ":port". */
function splitHostPort(text: string): { host: string; port: string } | undefined {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return undefined;
    const host = text.slice(1, close);
    const port = text.slice(close + 2);
    if (port.includes(':') || port.includes('[') || port.includes(']')) return undefined;
    return { host, port };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  const host = text.slice(0, colon);
  if (host.includes(':') || host.includes('[') || host.includes(']')) return undefined;
  return { host, port: text.slice(colon + 1) };
}

function isGoDuration(text: string): boolean {
  try {
    parseGoDuration(text);
    return true;
  } catch {
    return false;
  }
}

/** Go's %q for the plain strings that show up in these messages. */
function goQuote(text: string): string {
  return JSON.stringify(text);
}
