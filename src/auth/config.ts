// From the configuration file's authentication settings (and the --user/--pass/--auth flags) to a typed
// AuthConfig, with nats-server's meaning and wording (server/opts.go parseAuthorization, parseUsers,
// parseUserPermissions, parseAccounts, the operator/resolver keys; server/auth.go and jwt.go validation).
//
// buildAuthConfig() takes the raw values config-file.ts passes through (RawAuthConfig) and:
//   * collects every problem of the file, as nats-server does, and throws them together as a
//     ConfigProcessError (`file:line:col: reason`, the position of the offending token where nats-server
//     gives one; nats-server walks Go maps in random order, so where it reports "the last key seen" this
//     reports the last key in file order);
//   * then runs the startup checks of nats-server's validateOptions (operators, no_auth_user, system
//     account) and throws the first failure as an OptionsError with nats-server's text.
// Things Myelin does not implement that would weaken security if ignored (URL and directory account
// resolvers) are refused; account `limits` and message tracing settings are ignored with a warning.

import { readFileSync } from 'node:fs';
import { ConfigProcessError, type ConfigIssue, type ConfMap, type ConfNode, type RawAuthConfig } from '../config/config-file.js';
import { goTypeName, type SourcePosition } from '../config/config-syntax.js';
import { parseGoDuration } from '../config/duration.js';
import { OptionsError, type Options } from '../config/options.js';
import {
  decodeVerified,
  JWT_PREFIX,
  JwtError,
  parseDecoratedJwt,
  timeProblems,
  type AccountClaims,
  type DecodedJwt,
  type OperatorClaims,
} from './jwt.js';
import { isValidPublicAccountKey, isValidPublicOperatorKey, isValidPublicUserKey } from './nkeys.js';
import { addImports } from './account-imports.js';
import { parseMappings, type SubjectMapping } from '../config/mappings.js';
import { isValidLiteralSubject } from '../native/index.js';
import { parseAccountJetStream, type AccountLimits } from '../jetstream/account-limits.js';
import { isValidSubject, permissionSubjectError, type Permissions, type SubjectPermission } from './permissions.js';

export { isSubsetMatch } from './account-imports.js';

/** The account of users that belong to no configured account (nats-server's globalAccountName). */
export const GLOBAL_ACCOUNT = '$G';
/** nats-server's DEFAULT_SYSTEM_ACCOUNT. */
export const DEFAULT_SYSTEM_ACCOUNT = '$SYS';

/** Connection types a user may be limited to (jwt.ConnectionType*). Myelin's clients are STANDARD. */
export const CONNECTION_TYPES = ['STANDARD', 'WEBSOCKET', 'LEAFNODE', 'LEAFNODE_WS', 'MQTT', 'MQTT_WS', 'IN_PROCESS'] as const;

/** A user with a password (plain text, or a bcrypt hash `$2a$`/`$2b$`/`$2x$`/`$2y$`). */
export interface UserEntry {
  username: string;
  password: string;
  /** Own permissions, or else the applicable default_permissions; absent when neither exists. */
  permissions?: Permissions;
  /** Account name; GLOBAL_ACCOUNT for users of the `authorization` block. */
  account: string;
  /** Upper-case connection types; absent or empty means all. */
  allowedConnectionTypes?: string[];
}

/** A user identified by an nkey (proves itself by signing the INFO nonce). */
export interface NkeyEntry {
  nkey: string;
  permissions?: Permissions;
  account: string;
  allowedConnectionTypes?: string[];
}

export interface StreamExport {
  type: 'stream';
  subject: string;
  /** Accounts allowed to import; absent means public. */
  accounts?: string[];
  accountTokenPosition?: number;
}

export interface ServiceExport {
  type: 'service';
  subject: string;
  accounts?: string[];
  responseType: 'singleton' | 'stream' | 'chunked';
  responseThresholdMs?: number;
  latency?: { subject: string; sampling: number | 'headers' };
  accountTokenPosition?: number;
  allowTrace?: boolean;
}

export type AccountExport = StreamExport | ServiceExport;

export interface StreamImport {
  type: 'stream';
  /** The exporting account. */
  account: string;
  /** The exported subject (may be a wildcard). */
  subject: string;
  /** Delivered under `prefix.subject`. */
  prefix?: string;
  /** Delivered under this subject instead (mapping). */
  to?: string;
  allowTrace?: boolean;
}

export interface ServiceImport {
  type: 'service';
  account: string;
  /** The exporting account's subject. */
  subject: string;
  /** The local subject requests are published to (defaults to `subject`). */
  to: string;
  share: boolean;
  allowTrace?: boolean;
}

export type AccountImport = StreamImport | ServiceImport;

export interface AccountConfig {
  name: string;
  /** The account's public nkey, if configured. */
  nkey?: string;
  exports: AccountExport[];
  imports: AccountImport[];
  defaultPermissions?: Permissions;
  /** `jetstream: enabled` (or a limits map) in the account; undefined when not mentioned. */
  jetstream?: boolean;
  /** The account's JetStream limits (`jetstream { max_memory … }`); unlimited for `enabled`. */
  jetstreamLimits?: AccountLimits;
  /** The account's subject mappings (`mappings {}`), when configured. */
  mappings?: SubjectMapping[];
  /**
   * `msg_trace` (or `trace_dest`): where messages with a sampled W3C `traceparent` header are traced, and the
   * percentage sampled (1..100).
   */
  traceDest?: string;
  traceSampling?: number;
}

export interface OperatorConfig {
  /** The trusted operators' JWTs, decoded and verified. Empty when only `trusted` keys are given. */
  operators: DecodedJwt<OperatorClaims>[];
  /** Keys that may sign account JWTs: operator identities (unless strict) and their signing keys. */
  trustedKeys: string[];
  /** The account resolver; only `MEMORY` (with `resolver_preload`) is supported. */
  resolver?: 'memory';
  /** Account JWTs from `resolver_preload`, by account public key, decoded and signature-checked. */
  accounts: Map<string, DecodedJwt<AccountClaims>>;
  /** `resolver_pinned_accounts` (with the system account added), when configured. */
  pinnedAccounts?: Set<string>;
}

export interface AuthConfig {
  /** Single token (`authorization { token }` or `--auth`), plain or bcrypt. */
  token?: string;
  /** Single user (`authorization { user, password }` or `--user`/`--pass`). */
  username?: string;
  password?: string;
  /** Password users of the authorization block and of every account. */
  users: UserEntry[];
  nkeys: NkeyEntry[];
  /** `authorization { timeout }` in ms, when set (Options.authTimeout carries the effective value). */
  timeoutMs?: number;
  /** `authorization { default_permissions }` (already applied to the authorization block's users). */
  defaultPermissions?: Permissions;
  accounts: AccountConfig[];
  /** The global account's subject mappings (top-level `mappings {}`), when configured. */
  mappings?: SubjectMapping[];
  noAuthUser?: string;
  /**
   * Set when nats-server would invent a no-auth user itself: users are configured only in the system
   * account, no `authorization` block and no `no_auth_user` exist. Clients without credentials then
   * land in $G, but INFO still says auth_required. `noAuthUser` names the invented user.
   */
  systemAccountOnlyNoAuthUser?: string;
  /**
   * The system account's name (or public key in operator mode); DEFAULT_SYSTEM_ACCOUNT if unset, '' with
   * `no_system_account` and none named.
   */
  systemAccount: string;
  /** `no_system_account: true`: no system account unless one is named. */
  noSystemAccount?: boolean;
  /** Operator (decentralised JWT) mode. */
  operator?: OperatorConfig;
  /** An `authorization` block was present (even one with only `timeout`). */
  authorizationBlock: boolean;
}

/** The command-line credentials (`--user`, `--pass`, `--auth`), which override the file's. */
export type AuthFlags = Partial<Pick<Options, 'username' | 'password' | 'authorization'>>;

export interface BuildAuthOptions {
  /** Clock for expiry warnings; defaults to Date.now. */
  now?: () => number;
  /** verify_and_map is on: users without a password are certificate identities, not plaintext passwords. */
  tlsMap?: boolean;
}

export interface BuiltAuthConfig {
  config: AuthConfig;
  /** Startup warnings, worded as nats-server logs them. */
  warnings: string[];
}

/**
 * Builds the AuthConfig. Throws ConfigProcessError for problems in the file (all of them), then
 * OptionsError for the first failed startup check.
 */
export function buildAuthConfig(raw: RawAuthConfig | undefined, flags: AuthFlags = {}, options: BuildAuthOptions = {}): BuiltAuthConfig {
  const parser = new AuthParser(options.now ?? Date.now);
  const config = parser.parse(raw ?? {}, flags);
  if (parser.errors.length > 0) throw new ConfigProcessError(parser.errors, parser.warnings);
  validateAuthConfig(config);
  finishSystemAccount(config, raw ?? {});
  const warnings = parser.warnings.map((w) => w.message);
  if (hasPlaintextPasswords(config, options.tlsMap === true)) warnings.push('Plaintext passwords detected, use nkeys or bcrypt');
  return { config, warnings };
}

/** nats-server's isBcrypt: `$2a$`, `$2b$`, `$2x$` or `$2y$`, a two-digit cost, `$`. */
export function isBcrypt(password: string): boolean {
  return /^\$2[abxy]\$\d{2}\$/.test(password);
}

// ---------------------------------------------------------------------------------------

/** Thrown inside the parser when a value has the wrong type (a Go type assertion panic). */
class WrongType extends Error {
  constructor(
    readonly node: ConfNode,
    expected: string,
  ) {
    super(`interface conversion: interface {} is ${goTypeName(node)}, not ${expected}`);
  }
}

interface ParsedAuthorization {
  user: string;
  pass: string;
  token: string;
  timeoutMs?: number;
  users?: UserEntry[];
  nkeys?: NkeyEntry[];
  defaultPermissions?: Permissions;
}

class AuthParser {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  constructor(private readonly now: () => number) {}

  parse(raw: RawAuthConfig, flags: AuthFlags): AuthConfig {
    const config: AuthConfig = {
      users: [],
      nkeys: [],
      accounts: [],
      systemAccount: '',
      authorizationBlock: raw.authorization !== undefined,
    };
    const seen = new Set<string>(); // users and nkeys must be unique across accounts and authorization

    // Accounts first: the authorization block's checks count the users they define.
    if (raw.accounts !== undefined) this.guard(raw.accounts, () => this.parseAccounts(raw.accounts!, config, seen));
    if (raw.mappings !== undefined) config.mappings = parseMappings(raw.mappings, (n, r) => this.error(n, r));

    if (raw.authorization !== undefined) {
      const node = raw.authorization;
      this.guard(node, () => {
        const auth = this.parseAuthorization(node);
        config.username = auth.user;
        config.password = auth.pass;
        config.token = auth.token;
        config.timeoutMs = auth.timeoutMs;
        config.defaultPermissions = auth.defaultPermissions;
        if ((auth.user !== '' || auth.pass !== '') && auth.token !== '') return this.error(node, 'Cannot have a user/pass and token');
        if (auth.users !== undefined || config.users.length > 0) {
          if (auth.user !== '') return this.error(node, 'Can not have a single user/pass and a users array');
          if (auth.token !== '') return this.error(node, 'Can not have a token and a users array');
        }
        for (const u of auth.users ?? []) {
          if (seen.has(u.username)) return this.error(node, `Duplicate user ${goQuote(u.username)} detected`);
          seen.add(u.username);
          config.users.push(u);
        }
        for (const n of auth.nkeys ?? []) {
          if (seen.has(n.nkey)) return this.error(node, `Duplicate nkey ${goQuote(n.nkey)} detected`);
          seen.add(n.nkey);
          config.nkeys.push(n);
        }
      });
    }

    if (raw.no_auth_user !== undefined) this.guard(raw.no_auth_user, () => (config.noAuthUser = str(raw.no_auth_user!)));
    if (raw.system_account !== undefined) this.guard(raw.system_account, () => (config.systemAccount = str(raw.system_account!)));
    if (raw.no_system_account !== undefined) {
      this.guard(raw.no_system_account, () => (config.noSystemAccount = bool(raw.no_system_account!)));
    }

    const trusted = raw.trusted !== undefined ? this.parseTrusted(raw.trusted) : undefined;
    const operators = raw.operator !== undefined ? this.parseOperators(raw.operator) : undefined;
    const resolver = raw.resolver !== undefined ? this.parseResolver(raw.resolver) : undefined;
    const preload = raw.resolver_preload !== undefined ? this.parsePreload(raw.resolver_preload) : undefined;
    const pinned = raw.resolver_pinned_accounts !== undefined ? this.parsePinned(raw.resolver_pinned_accounts) : undefined;

    if (operators !== undefined || trusted !== undefined) {
      config.operator = { operators: operators ?? [], trustedKeys: trusted ?? [], accounts: preload ?? new Map() };
      if (pinned !== undefined) config.operator.pinnedAccounts = pinned;
      if (resolver !== undefined) {
        config.operator.resolver = resolver;
      } else if (raw.resolver === undefined && operators !== undefined && operators.length === 1) {
        // Without `resolver`, nats-server uses the operator's account server URL, if it names one.
        const url = operators[0].claims.nats?.account_server_url;
        if (typeof url === 'string' && url !== '') {
          this.error(raw.operator!, `field "resolver" (the operator's account server URL ${goQuote(url)}) is not supported by Myelin yet; refusing to run without it`);
        }
      }
      if (operators !== undefined && operators.length === 1 && config.systemAccount === '') {
        config.systemAccount = operators[0].claims.nats?.system_account ?? '';
      }
    }

    // Flags override the file (nats-server's MergeOptions: only when given, non-empty).
    if (flags.username) config.username = flags.username;
    if (flags.password) config.password = flags.password;
    if (flags.authorization) config.token = flags.authorization;
    if (!config.username) delete config.username;
    if (!config.password) delete config.password;
    if (!config.token) delete config.token;
    if (config.noAuthUser === '') delete config.noAuthUser;
    return config;
  }

  // --- authorization { ... } ---------------------------------------------------------------

  private parseAuthorization(node: ConfNode): ParsedAuthorization {
    const auth: ParsedAuthorization = { user: '', pass: '', token: '' };
    for (const [key, child] of map(node)) {
      this.guard(child, () => {
        switch (key.toLowerCase()) {
          case 'user':
          case 'username':
            auth.user = str(child);
            return;
          case 'pass':
          case 'password':
            auth.pass = str(child);
            return;
          case 'token':
            auth.token = str(child);
            return;
          case 'timeout':
            auth.timeoutMs = timeoutMs(child);
            return;
          case 'users': {
            const parsed = this.parseUsers(child, GLOBAL_ACCOUNT);
            if (parsed === undefined) return;
            auth.users = parsed.users;
            auth.nkeys = parsed.nkeys;
            return;
          }
          case 'default_permission':
          case 'default_permissions':
          case 'permissions':
            auth.defaultPermissions = this.parsePermissions(child);
            return;
          // Anything else was reported (unknown, refused) by config-file.ts.
        }
      });
    }
    applyDefaultPermissions(auth.users, auth.nkeys, auth.defaultPermissions);
    return auth;
  }

  /** `users: [...]`: password users and nkey users. Undefined when the list as a whole is rejected. */
  private parseUsers(node: ConfNode, account: string): { users: UserEntry[]; nkeys: NkeyEntry[] } | undefined {
    if (node.kind !== 'array') {
      this.error(node, `Expected users field to be an array, got ${goValue(node)}`);
      return undefined;
    }
    const users: UserEntry[] = [];
    const nkeys: NkeyEntry[] = [];
    for (const entry of node.value) {
      if (entry.kind !== 'map') {
        this.error(entry, `Expected user entry to be a map/struct, got ${goValue(entry)}`);
        continue;
      }
      let username = '';
      let password = '';
      let nkey = '';
      let permissions: Permissions | undefined;
      let connectionTypes: string[] | undefined;
      let last: ConfNode = entry;
      for (const [key, child] of entry.value) {
        last = child;
        this.guard(child, () => {
          switch (key.toLowerCase()) {
            case 'nkey':
              nkey = str(child);
              return;
            case 'user':
            case 'username':
              username = str(child);
              return;
            case 'pass':
            case 'password':
              password = str(child);
              return;
            case 'permission':
            case 'permissions':
            case 'authorization':
              permissions = this.parsePermissions(child);
              return;
            case 'allowed_connection_types':
            case 'connection_types':
            case 'clients':
              connectionTypes = this.parseConnectionTypes(child);
              return;
            default:
              if (!child.usedAsVariable) this.error(child, `unknown field ${goQuote(key)}`);
          }
        });
      }
      if (nkey === '' && username === '') {
        this.error(last, 'User entry requires a user');
        return undefined;
      }
      if (nkey !== '') {
        if (!isValidPublicUserKey(nkey)) {
          this.error(last, 'Not a valid public nkey for a user');
          return undefined;
        }
        if (username !== '' || password !== '') {
          this.error(last, 'Nkey users do not take usernames or passwords');
          return undefined;
        }
        nkeys.push(withOptional({ nkey, account }, permissions, connectionTypes));
      } else {
        users.push(withOptional({ username, password, account }, permissions, connectionTypes));
      }
    }
    return { users, nkeys };
  }

  private parseConnectionTypes(node: ConfNode): string[] | undefined {
    let list: string[];
    if (node.kind === 'string') list = [node.value];
    else if (node.kind === 'array') {
      list = [];
      for (const item of node.value) {
        if (item.kind === 'string') list.push(item.value);
        else this.error(item, `error parsing allowed connection types: unsupported type in array ${goTypeName(item)}`);
      }
    } else {
      this.error(node, `error parsing allowed connection types: unsupported type ${goTypeName(node)}`);
      return undefined;
    }
    const out: string[] = [];
    const unknown: string[] = [];
    for (const type of list) {
      const upper = type.toUpperCase();
      if (!(CONNECTION_TYPES as readonly string[]).includes(upper)) unknown.push(type);
      else if (!out.includes(upper)) out.push(upper);
    }
    // Go's %q of a []string: ["a" "b"].
    if (unknown.length > 0) this.error(node, `invalid connection types [${unknown.map(goQuote).join(' ')}]`);
    return out;
  }

  // --- permissions ---------------------------------------------------------------------------

  private parsePermissions(node: ConfNode): Permissions | undefined {
    if (node.kind !== 'map') {
      this.error(node, `Expected permissions to be a map/struct, got ${goValue(node)}`);
      return undefined;
    }
    const p: Permissions = {};
    for (const [key, child] of node.value) {
      this.guard(child, () => {
        switch (key.toLowerCase()) {
          case 'pub':
          case 'publish':
          case 'import': {
            const sp = this.parseVariablePermissions(child);
            if (sp !== null && sp !== undefined) p.publish = sp;
            return;
          }
          case 'sub':
          case 'subscribe':
          case 'export': {
            const sp = this.parseVariablePermissions(child);
            if (sp !== null && sp !== undefined) p.subscribe = sp;
            return;
          }
          case 'publish_allow_responses':
          case 'allow_responses':
            if (child.kind === 'bool') {
              if (child.value) p.response = { max: 0, expiresMs: 0 };
              return;
            }
            {
              const rp = this.parseAllowResponses(child);
              if (rp !== undefined) p.response = rp;
            }
            return;
          default:
            if (!child.usedAsVariable) this.error(child, `Unknown field ${goQuote(key)} parsing permissions`);
        }
      });
    }
    if (p.response !== undefined) {
      p.publish ??= {};
      p.publish.allow ??= [];
    }
    return p;
  }

  /** `"subject"`, `[subjects]` or `{allow, deny}`. Null when rejected (an error was recorded). */
  private parseVariablePermissions(node: ConfNode): SubjectPermission | undefined | null {
    if (node.kind === 'map') {
      if (node.value.size === 0) return undefined;
      const sp: SubjectPermission = {};
      for (const [key, child] of node.value) {
        const name = key.toLowerCase();
        if (name === 'allow' || name === 'deny') {
          const subjects = this.parsePermSubjects(child, true);
          if (subjects === null) continue;
          if (subjects !== undefined) sp[name] = subjects;
        } else if (!child.usedAsVariable) {
          this.error(child, `Unknown field name ${goQuote(key)} parsing subject permissions, only 'allow' or 'deny' are permitted`);
        }
      }
      return sp;
    }
    const subjects = this.parsePermSubjects(node, false);
    if (subjects === null) return null;
    return subjects === undefined ? undefined : { allow: subjects };
  }

  /**
   * A subject or a list of subjects, each checked (queue-qualified "subject queue" is allowed).
   * nats-server reports these problems with a position only inside `allow`/`deny`.
   */
  private parsePermSubjects(node: ConfNode, positioned: boolean): string[] | undefined | null {
    let subjects: string[];
    if (node.kind === 'string') subjects = [node.value];
    else if (node.kind === 'array') {
      subjects = [];
      for (const item of node.value) {
        if (item.kind !== 'string') {
          this.error(item, 'Subject in permissions array cannot be cast to string');
          return null;
        }
        subjects.push(item.value);
      }
    } else {
      this.issue(positioned ? node : undefined, `Expected subject permissions to be a subject, or array of subjects, got ${goTypeName(node)}`);
      return null;
    }
    for (const subject of subjects) {
      const problem = permissionSubjectError(subject);
      if (problem !== undefined) {
        this.issue(positioned ? node : undefined, problem);
        return null;
      }
    }
    return subjects.length === 0 ? undefined : subjects;
  }

  private parseAllowResponses(node: ConfNode): { max: number; expiresMs: number } | undefined {
    if (node.kind !== 'map') {
      this.error(node, 'error parsing response permissions, expected a boolean or a map');
      return undefined;
    }
    const rp = { max: 0, expiresMs: 0 };
    for (const [key, child] of node.value) {
      switch (key.toLowerCase()) {
        case 'max':
        case 'max_msgs':
        case 'max_messages':
        case 'max_responses':
          rp.max = int(child);
          break;
        case 'expires':
        case 'expiration':
        case 'ttl': {
          if (child.kind !== 'string') {
            this.error(child, 'error parsing expires, not a duration string');
            return undefined;
          }
          try {
            rp.expiresMs = parseGoDuration(child.value);
          } catch (err) {
            this.error(child, `error parsing expires: ${(err as Error).message}`);
            return undefined;
          }
          break;
        }
        default:
          if (!child.usedAsVariable) this.error(child, `Unknown field ${goQuote(key)} parsing permissions`);
      }
    }
    return rp;
  }

  // --- accounts { ... } ------------------------------------------------------------------------

  private parseAccounts(node: ConfNode, config: AuthConfig, seen: Set<string>): void {
    if (node.kind === 'array') {
      const names = new Set<string>();
      for (const item of node.value) {
        this.guard(item, () => {
          const name = str(item);
          if (name === GLOBAL_ACCOUNT) return this.error(item, `${goQuote(name)} is a Reserved Account`);
          if (names.has(name)) return this.error(item, `Duplicate Account Entry: ${name}`);
          names.add(name);
          config.accounts.push({ name, exports: [], imports: [] });
        });
      }
      return;
    }
    const accounts = map(node);
    const errorsBefore = this.errors.length;
    for (const [name, value] of accounts) {
      if (value.usedAsVariable) continue;
      if (value.kind !== 'map') {
        this.error(value, 'Expected map entries for accounts');
        continue;
      }
      if (name === GLOBAL_ACCOUNT) {
        this.error(value, `${goQuote(name)} is a Reserved Account`);
        continue;
      }
      const account: AccountConfig = { name, exports: [], imports: [] };
      config.accounts.push(account);
      let users: UserEntry[] = [];
      let nkeys: NkeyEntry[] = [];
      let usersNode: ConfNode = value;
      for (const [key, child] of value.value) {
        this.guard(child, () => {
          switch (key.toLowerCase()) {
            case 'nkey': {
              const nk = child.kind === 'string' ? child.value : undefined;
              if (nk === undefined || !isValidPublicAccountKey(nk)) {
                return this.error(child, `Not a valid public nkey for an account: ${goQuote(nk ?? goValue(child))}`);
              }
              account.nkey = nk;
              return;
            }
            case 'imports':
              account.imports = this.parseImports(child);
              return;
            case 'exports':
              account.exports = this.parseExports(child);
              return;
            case 'users': {
              usersNode = child;
              const parsed = this.parseUsers(child, name);
              if (parsed !== undefined) ({ users, nkeys } = parsed);
              return;
            }
            case 'default_permissions':
              account.defaultPermissions = this.parsePermissions(child);
              return;
            case 'jetstream': {
              const js = parseAccountJetStream(child, (n, r) => this.issue(n, r));
              if (js === undefined) return;
              account.jetstream = js.enabled;
              account.jetstreamLimits = js.limits;
              return;
            }
            case 'msg_trace':
            case 'trace_dest':
              this.parseMsgTrace(child, key, account);
              return;
            case 'mappings':
            case 'maps':
              account.mappings = parseMappings(child, (n, r) => this.error(n, r));
              return;
            case 'limits':
              this.warning(child, `field ${goQuote(`accounts.${name}.${key}`)} is not supported by Myelin yet and is ignored`);
              return;
            default:
              if (!child.usedAsVariable) this.error(child, `unknown field ${goQuote(key)}`);
          }
        });
      }
      applyDefaultPermissions(users, nkeys, account.defaultPermissions);
      for (const n of nkeys) {
        if (seen.has(n.nkey)) {
          this.error(usersNode, `Duplicate nkey ${goQuote(n.nkey)} detected`);
          continue;
        }
        seen.add(n.nkey);
        config.nkeys.push(n);
      }
      for (const u of users) {
        if (seen.has(u.username)) {
          this.error(usersNode, `Duplicate user ${goQuote(u.username)} detected`);
          continue;
        }
        seen.add(u.username);
        config.users.push(u);
      }
    }
    if (this.errors.length > errorsBefore) return;
    this.checkImportsAndExports(node, config.accounts);
  }

  /** After all accounts are known: the accounts named by exports and imports, and import authorization. */
  private checkImportsAndExports(node: ConfNode, accounts: AccountConfig[]): void {
    const byName = new Map(accounts.map((a) => [a.name, a]));
    for (const account of accounts) {
      for (const exp of account.exports) {
        for (const name of exp.accounts ?? []) {
          if (!byName.has(name)) this.error(node, `${goQuote(name)} account not defined for ${exp.type} export`);
        }
      }
    }
    for (const message of addImports(accounts).errors) this.error(node, message);
  }

  private parseExports(node: ConfNode): AccountExport[] {
    if (node.kind !== 'array') {
      this.error(node, `Exports should be an array, got ${goTypeName(node)}`);
      return [];
    }
    const out: AccountExport[] = [];
    for (const item of node.value) {
      this.guard(item, () => {
        const exp = this.parseExport(item);
        if (exp !== undefined) out.push(exp);
      });
    }
    return out;
  }

  private parseExport(node: ConfNode): AccountExport | undefined {
    if (node.kind !== 'map') {
      this.error(node, `Export Items should be a map with type entry, got ${goTypeName(node)}`);
      return undefined;
    }
    let kind: 'stream' | 'service' | undefined;
    let subject = '';
    let accounts: string[] | undefined;
    let responseType: ServiceExport['responseType'] | undefined;
    let threshold: number | undefined;
    let latency: ServiceExport['latency'];
    let tokenPosition: number | undefined;
    let allowTrace: boolean | undefined;
    let serviceOnly: ConfNode | undefined;
    for (const [key, child] of node.value) {
      this.guard(child, () => {
        switch (key.toLowerCase()) {
          case 'stream':
          case 'service': {
            const k = key.toLowerCase() as 'stream' | 'service';
            if (kind !== undefined && kind !== k) {
              return this.error(child, `Detected ${k} ${goQuote(child.kind === 'string' ? child.value : '')} but already saw a ${kind}`);
            }
            if (child.kind !== 'string') return this.error(child, `Expected ${k} name to be string, got ${goTypeName(child)}`);
            kind = k;
            subject = child.value;
            return;
          }
          case 'response':
          case 'response_type': {
            if (child.kind !== 'string') return this.error(child, `Expected response type to be string, got ${goTypeName(child)}`);
            const rt = { single: 'singleton', singleton: 'singleton', stream: 'stream', chunk: 'chunked', chunked: 'chunked' }[child.value.toLowerCase()];
            if (rt === undefined) return this.error(child, `Unknown response type: ${goQuote(child.value)}`);
            responseType = rt as ServiceExport['responseType'];
            serviceOnly = child;
            return;
          }
          case 'threshold':
          case 'response_threshold':
          case 'response_max_time':
          case 'response_time': {
            if (child.kind !== 'string') {
              return this.error(child, `Expected response threshold to be a parseable time duration, got ${goTypeName(child)}`);
            }
            try {
              threshold = parseGoDuration(child.value);
            } catch {
              return this.error(child, `Expected response threshold to be a parseable time duration, got ${goQuote(child.value)}`);
            }
            serviceOnly = child;
            return;
          }
          case 'accounts':
            if (child.kind !== 'array') throw new WrongType(child, '[]interface {}');
            accounts = child.value.map((a) => str(a));
            return;
          case 'latency':
            latency = this.parseLatency(child);
            serviceOnly = child;
            return;
          case 'account_token_position':
            tokenPosition = int(child);
            return;
          case 'allow_trace':
            allowTrace = bool(child);
            return;
          default:
            if (!child.usedAsVariable) this.error(child, `unknown field ${goQuote(key)}`);
        }
      });
    }
    if (kind === 'stream') {
      if (serviceOnly !== undefined) {
        this.error(serviceOnly, 'Detected response directive on non-service');
        return undefined;
      }
      return withDefined<StreamExport>({ type: 'stream', subject }, { accounts, accountTokenPosition: tokenPosition });
    }
    if (kind === 'service') {
      return withDefined<ServiceExport>(
        { type: 'service', subject, responseType: responseType ?? 'singleton' },
        { accounts, responseThresholdMs: threshold, latency, accountTokenPosition: tokenPosition, allowTrace },
      );
    }
    return undefined;
  }

  private parseLatency(node: ConfNode): ServiceExport['latency'] {
    if (node.kind === 'string') return { subject: node.value, sampling: 100 };
    if (node.kind !== 'map') {
      this.error(node, `Expected latency entry to be a map/struct or string, got ${goTypeName(node)}`);
      return undefined;
    }
    let sampling: number | 'headers' = 100;
    let subject: string | undefined;
    for (const [key, child] of node.value) {
      if (key === 'sampling') {
        if (child.kind === 'int') sampling = child.value;
        else if (child.kind === 'string') {
          if (child.value.trim().toLowerCase() === 'headers') sampling = 'headers';
          else {
            const n = Number(child.value.replace(/%$/, ''));
            if (!Number.isInteger(n)) {
              this.error(child, `Failed to parse latency sample: strconv.Atoi: parsing ${goQuote(child.value.replace(/%$/, ''))}: invalid syntax`);
              return undefined;
            }
            sampling = n;
          }
        } else {
          this.error(child, `Expected latency sample to be a string or map/struct, got ${goTypeName(child)}`);
          return undefined;
        }
        if (sampling !== 'headers' && (sampling < 1 || sampling > 100)) {
          this.error(child, 'sampling value should be in range [1..100]');
          return undefined;
        }
      } else if (key === 'subject') {
        subject = str(child);
      }
    }
    if (subject === undefined) {
      this.error(node, 'Latency subject required, but missing');
      return undefined;
    }
    return { subject, sampling };
  }

  private parseImports(node: ConfNode): AccountImport[] {
    if (node.kind !== 'array') {
      this.error(node, `Imports should be an array, got ${goTypeName(node)}`);
      return [];
    }
    const out: AccountImport[] = [];
    const serviceSubjects = new Map<string, ServiceImport>();
    for (const item of node.value) {
      this.guard(item, () => {
        const imp = this.parseImport(item);
        if (imp === undefined) return;
        if (imp.type === 'service') {
          const dup = serviceSubjects.get(imp.to);
          if (dup !== undefined) {
            return this.error(
              item,
              `Duplicate service import subject ${goQuote(imp.to)}, previously used in import for account ${goQuote(dup.account)}, subject ${goQuote(dup.subject)}`,
            );
          }
          serviceSubjects.set(imp.to, imp);
        }
        out.push(imp);
      });
    }
    return out;
  }

  private parseImport(node: ConfNode): AccountImport | undefined {
    if (node.kind !== 'map') {
      this.error(node, `Import Items should be a map with type entry, got ${goTypeName(node)}`);
      return undefined;
    }
    let kind: 'stream' | 'service' | undefined;
    let account = '';
    let subject = '';
    let prefix: string | undefined;
    let to: string | undefined;
    let share = false;
    let allowTrace: boolean | undefined;
    let failed = false;
    let toNode: ConfNode = node;
    for (const [key, child] of node.value) {
      this.guard(child, () => {
        switch (key.toLowerCase()) {
          case 'stream':
          case 'service': {
            const k = key.toLowerCase() as 'stream' | 'service';
            if (kind !== undefined && kind !== k) {
              failed = true;
              return this.error(child, `Detected ${k} but already saw a ${kind}`);
            }
            if (child.kind !== 'map') {
              failed = true;
              return this.error(child, `${k === 'stream' ? 'Stream' : 'Service'} entry should be an account map, got ${goTypeName(child)}`);
            }
            for (const [ak, av] of child.value) {
              const an = ak.toLowerCase();
              if (an === 'account') account = str(av);
              else if (an === 'subject') subject = str(av);
              else if (!av.usedAsVariable) this.error(av, `unknown field ${goQuote(ak)}`);
            }
            if (account === '' || subject === '') {
              failed = true;
              return this.error(child, 'Expect an account name and a subject');
            }
            kind = k;
            return;
          }
          case 'prefix':
            prefix = str(child);
            return;
          case 'to':
            to = str(child);
            toNode = child;
            return;
          case 'share':
            share = bool(child);
            return;
          case 'allow_trace':
            allowTrace = bool(child);
            return;
          default:
            if (!child.usedAsVariable) this.error(child, `unknown field ${goQuote(key)}`);
        }
      });
    }
    if (failed || kind === undefined) return undefined;
    if (kind === 'stream') {
      if (prefix !== undefined && prefix !== '' && to !== undefined && to !== '') {
        this.error(toNode, "Stream import can not have a 'prefix' and a 'to' property");
        return undefined;
      }
      return withDefined<StreamImport>({ type: 'stream', account, subject }, { prefix: prefix || undefined, to: to || undefined, allowTrace });
    }
    return withDefined<ServiceImport>({ type: 'service', account, subject, to: to || subject, share }, { allowTrace });
  }

  // --- operator mode -------------------------------------------------------------------------

  private parseOperators(node: ConfNode): DecodedJwt<OperatorClaims>[] | undefined {
    let names: string[];
    if (node.kind === 'string') names = [node.value];
    else if (node.kind === 'array' && node.value.every((n) => n.kind === 'string')) names = node.value.map((n) => n.value as string);
    else {
      this.error(node, `error parsing operators: unsupported type ${goTypeName(node)}`);
      return undefined;
    }
    const out: DecodedJwt<OperatorClaims>[] = [];
    for (const name of names) {
      try {
        out.push(readOperatorJwt(name));
      } catch (err) {
        this.error(node, `error parsing operator JWT: ${(err as Error).message}`);
      }
    }
    return out;
  }

  private parseResolver(node: ConfNode): 'memory' | undefined {
    if (node.kind === 'string') {
      if (/(MEM|MEMORY)\s*/i.test(node.value)) return 'memory';
      if (/URL/i.test(node.value)) {
        this.error(node, 'field "resolver" (URL account resolver) is not supported by Myelin yet; refusing to run without it');
        return undefined;
      }
    } else if (node.kind === 'map') {
      this.error(node, 'field "resolver" (directory account resolver) is not supported by Myelin yet; refusing to run without it');
      return undefined;
    } else {
      this.error(node, `error parsing operator resolver, wrong type ${goTypeName(node)}`);
      return undefined;
    }
    this.error(node, 'error parsing account resolver, should be MEM or  URL("url") or a map containing dir and type state=[FULL|CACHE])');
    return undefined;
  }

  private parsePreload(node: ConfNode): Map<string, DecodedJwt<AccountClaims>> | undefined {
    if (node.kind !== 'map') {
      this.error(node, 'preload should be a map of account_public_key:account_jwt');
      return undefined;
    }
    const out = new Map<string, DecodedJwt<AccountClaims>>();
    for (const [key, value] of node.value) {
      if (value.kind !== 'string') {
        this.error(value, 'preload map value should be a string JWT');
        continue;
      }
      let decoded: DecodedJwt<AccountClaims>;
      try {
        decoded = decodeVerified<AccountClaims>(value.value, 'account');
      } catch {
        this.error(value, 'invalid account JWT');
        continue;
      }
      out.set(key, decoded);
      const problems = timeProblems(decoded.claims, this.now());
      if (problems.length > 0) {
        this.warnings.push({ message: `Account [${key}] has validation issues:` });
        for (const p of problems) this.warnings.push({ message: `  - ${p}` });
      }
    }
    return out;
  }

  private parsePinned(node: ConfNode): Set<string> | undefined {
    if (node.kind === 'string') return new Set([node.value]);
    if (node.kind === 'array') {
      const out = new Set<string>();
      for (const item of node.value) {
        if (item.kind === 'string') out.add(item.value);
        else this.error(item, `error parsing resolver_pinned_accounts: unsupported type in array ${goTypeName(item)}`);
      }
      return out;
    }
    this.error(node, `error parsing resolver_pinned_accounts: unsupported type ${goTypeName(node)}`);
    return undefined;
  }

  private parseTrusted(node: ConfNode): string[] | undefined {
    let items: ConfNode[];
    if (node.kind === 'string') items = [node];
    else if (node.kind === 'array') items = node.value;
    else {
      this.error(node, `error parsing trusted: unsupported type ${goTypeName(node)}`);
      return undefined;
    }
    const keys: string[] = [];
    for (const item of items) {
      if (item.kind !== 'string') {
        this.error(item, `error parsing trusted: unsupported type in array ${goTypeName(item)}`);
        continue;
      }
      if (!isValidPublicOperatorKey(item.value)) {
        this.error(item, `trust key ${goQuote(item.value)} required to be a valid public operator nkey`);
      }
      keys.push(item.value);
    }
    return keys;
  }

  // --- plumbing ------------------------------------------------------------------------------

  /** Runs one step; a wrong type becomes an error at that value (Go's convertPanicToErrorList). */
  /** nats-server's parseAccountMsgTrace: a destination subject, or `{ dest, sampling }`. */
  private parseMsgTrace(node: ConfNode, key: string, account: AccountConfig): void {
    const dest = (n: ConfNode, k: string): void => {
      if (n.kind !== 'string') return this.error(n, `Field ${goQuote(k)} should be a string, got ${goTypeName(n)}`);
      if (!isValidLiteralSubject(n.value)) return this.error(n, `Trace destination ${goQuote(n.value)} is not valid`);
      account.traceDest = n.value;
    };
    const sampling = (n: ConfNode, value: number): void => {
      if (!(value > 0 && value <= 100)) {
        return this.error(n, `Ttrace destination sampling value ${value} is invalid, needs to be [1..100]`);
      }
      account.traceSampling = value;
    };
    if (node.kind === 'string') dest(node, key);
    else if (node.kind === 'map') {
      for (const [k, child] of node.value) {
        switch (k.toLowerCase()) {
          case 'dest':
            dest(child, k);
            break;
          case 'sampling':
            if (child.kind === 'int') sampling(child, child.value);
            else if (child.kind === 'string') {
              const text = child.value.replace(/%$/, '');
              if (!/^[+-]?\d+$/.test(text)) this.error(child, `Invalid trace destination sampling value ${goQuote(child.value)}`);
              else sampling(child, Number(text));
            } else {
              this.error(child, `Trace destination sampling field ${goQuote(k)} should be an integer or a percentage, got ${goTypeName(child)}`);
            }
            break;
          default:
            if (!child.usedAsVariable) this.error(child, `Unknown field ${goQuote(k)} parsing account message trace map/struct ${goQuote(key)}`);
        }
      }
    } else {
      return this.error(node, `Expected account message trace ${goQuote(key)} to be a string or a map/struct, got ${goTypeName(node)}`);
    }
    if (account.traceDest !== undefined && account.traceSampling === undefined) account.traceSampling = 100;
    else if (account.traceSampling !== undefined && account.traceDest === undefined) {
      this.warning(node, 'Trace destination sampling ignored since no destination was set');
      account.traceSampling = undefined;
    }
  }

  private guard(node: ConfNode, step: () => unknown): void {
    try {
      step();
    } catch (err) {
      if (err instanceof WrongType) this.error(err.node, err.message);
      else throw err;
    }
  }

  private error(node: ConfNode, reason: string): void {
    this.errors.push(issueAt(node.pos, reason));
  }

  /** An error with or without a position (nats-server gives none for some permission problems). */
  private issue(node: ConfNode | undefined, reason: string): void {
    this.errors.push(node === undefined ? { message: reason } : issueAt(node.pos, reason));
  }

  private warning(node: ConfNode, reason: string): void {
    this.warnings.push(issueAt(node.pos, reason));
  }
}

/**
 * nats-server's readOperatorJWT: a file (relative to the working directory, possibly decorated), or
 * the JWT itself when no such file exists and the text starts like a JWT.
 */
export function readOperatorJwt(nameOrJwt: string): DecodedJwt<OperatorClaims> {
  let text: string;
  try {
    text = readFileSync(nameOrJwt, 'utf8');
  } catch (err) {
    if (!nameOrJwt.startsWith(JWT_PREFIX)) throw new Error(goFileError(nameOrJwt, err as NodeJS.ErrnoException));
    text = nameOrJwt;
  }
  try {
    return decodeVerified<OperatorClaims>(parseDecoratedJwt(text), 'operator');
  } catch (err) {
    if (err instanceof JwtError) throw new Error(err.message);
    throw err;
  }
}

/** The startup checks of nats-server's validateOptions that concern authentication. */
function validateAuthConfig(config: AuthConfig): void {
  const op = config.operator;
  if (op !== undefined && op.operators.length > 0) {
    if (op.resolver === undefined) throw new OptionsError('operators require an account resolver to be configured');
    if (config.accounts.length > 0) throw new OptionsError('operators do not allow Accounts to be configured directly');
    if (config.users.length > 0 || config.nkeys.length > 0) throw new OptionsError('operators do not allow users to be configured directly');
    if (op.trustedKeys.length > 0) throw new OptionsError("conflicting options for 'TrustedKeys' and 'TrustedOperators'");
    if (config.systemAccount !== '') {
      const sysAccounts = op.operators.map((o) => o.claims.nats?.system_account ?? '');
      if (sysAccounts.some((s) => s !== '') && !sysAccounts.includes(config.systemAccount)) {
        throw new OptionsError('system_account in config and operator JWT must be identical');
      }
    }
    for (const o of op.operators) {
      if (!o.claims.nats?.strict_signing_key_usage) op.trustedKeys.push(o.claims.sub ?? '');
      op.trustedKeys.push(...(o.claims.nats?.signing_keys ?? []));
    }
    for (const key of op.trustedKeys) {
      if (!isValidPublicOperatorKey(key)) throw new OptionsError(`trusted Keys ${goQuote(key)} are required to be a valid public operator nkey`);
    }
  }
  if (op !== undefined && config.systemAccount !== '' && op.resolver !== undefined && !op.accounts.has(config.systemAccount)) {
    // The memory resolver can only find preloaded accounts.
    throw new OptionsError('error resolving system account: account missing');
  }
  if (op?.pinnedAccounts !== undefined && op.pinnedAccounts.size > 0) {
    for (const key of op.pinnedAccounts) {
      if (!isValidPublicAccountKey(key)) throw new OptionsError(`pinned account key ${goQuote(key)} is not a valid public account nkey`);
    }
    if (config.systemAccount !== '') op.pinnedAccounts.add(config.systemAccount);
  }
  if (config.noAuthUser !== undefined) {
    if (op !== undefined && op.operators.length > 0) throw new OptionsError('no_auth_user not compatible with Trusted Operator');
    if (config.users.length === 0 && config.nkeys.length === 0) {
      throw new OptionsError(`no_auth_user: ${goQuote(config.noAuthUser)} present, but users/nkeys are not defined`);
    }
    const name = config.noAuthUser;
    if (!config.users.some((u) => u.username === name) && !config.nkeys.some((n) => n.nkey === name)) {
      throw new OptionsError(`no_auth_user: ${goQuote(name)} not present as user or nkey in authorization block or account configuration`);
    }
  }
}

/**
 * The system account, and nats-server's invented no-auth user: when (outside operator mode) the
 * system account is named or defined, it and $G are the only accounts, and neither an authorization
 * block nor no_auth_user exists, clients without credentials go to $G as that user.
 */
function finishSystemAccount(config: AuthConfig, raw: RawAuthConfig): void {
  if (config.systemAccount === '' && config.noSystemAccount === true) return;
  const explicit = config.systemAccount !== '' || config.accounts.some((a) => a.name === DEFAULT_SYSTEM_ACCOUNT);
  if (config.systemAccount === '') config.systemAccount = DEFAULT_SYSTEM_ACCOUNT;
  if (config.operator !== undefined || !explicit) return;
  const name = config.systemAccount;
  if (name !== DEFAULT_SYSTEM_ACCOUNT && !config.accounts.some((a) => a.name === name)) {
    throw new OptionsError('error resolving system account: account missing');
  }
  const numAccounts = 1 + config.accounts.length;
  if (numAccounts === 2 && config.noAuthUser === undefined && raw.authorization === undefined) {
    const username = inventedUserName();
    config.users.push({ username, password: username.slice(6), account: GLOBAL_ACCOUNT });
    config.noAuthUser = username;
    config.systemAccountOnlyNoAuthUser = username;
  }
}

function inventedUserName(): string {
  const digits = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let s = '';
  for (let i = 0; i < 8; i++) s += digits[Math.floor(Math.random() * digits.length)];
  return `nats-${s}`;
}

/** nats-server's checkAuthforWarnings. */
function hasPlaintextPasswords(config: AuthConfig, tlsMap: boolean): boolean {
  if (config.password !== undefined && config.password !== '' && !isBcrypt(config.password)) return true;
  return config.users.some(
    (u) => u.username !== config.systemAccountOnlyNoAuthUser && !(tlsMap && u.password === '') && !isBcrypt(u.password),
  );
}

function applyDefaultPermissions(users: UserEntry[] | undefined, nkeys: NkeyEntry[] | undefined, defaults: Permissions | undefined): void {
  if (defaults === undefined) return;
  for (const u of users ?? []) u.permissions ??= defaults;
  for (const n of nkeys ?? []) n.permissions ??= defaults;
}

// --- small helpers -------------------------------------------------------------------------------

function withOptional<T extends object>(base: T, permissions: Permissions | undefined, types: string[] | undefined): T {
  const out = base as T & { permissions?: Permissions; allowedConnectionTypes?: string[] };
  if (permissions !== undefined) out.permissions = permissions;
  if (types !== undefined && types.length > 0) out.allowedConnectionTypes = types;
  return out;
}

function withDefined<T extends object>(base: T, optional: Partial<Record<string, unknown>>): T {
  const out = base as Record<string, unknown>;
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) out[k] = v;
  return out as T;
}

function timeoutMs(node: ConfNode): number | undefined {
  if (node.kind === 'int' || node.kind === 'float') return node.value * 1000;
  if (node.kind === 'string') {
    try {
      return parseGoDuration(node.value);
    } catch {
      return undefined; // reported by config-file.ts
    }
  }
  return undefined;
}

function issueAt(position: SourcePosition, reason: string): ConfigIssue {
  return { message: `${position.file}:${position.line}:${position.col}: ${reason}`, position };
}

function str(node: ConfNode): string {
  if (node.kind !== 'string') throw new WrongType(node, 'string');
  return node.value;
}

function int(node: ConfNode): number {
  if (node.kind !== 'int') throw new WrongType(node, 'int64');
  return node.value;
}

function bool(node: ConfNode): boolean {
  if (node.kind !== 'bool') throw new WrongType(node, 'bool');
  return node.value;
}

function map(node: ConfNode): ConfMap {
  if (node.kind !== 'map') throw new WrongType(node, 'map[string]interface {}');
  return node.value;
}

/** Roughly Go's %v of a configuration value. */
function goValue(node: ConfNode): string {
  switch (node.kind) {
    case 'map':
      return `map[${[...node.value].map(([k, v]) => `${k}:${goValue(v)}`).join(' ')}]`;
    case 'array':
      return `[${node.value.map(goValue).join(' ')}]`;
    case 'date':
      return node.value.toISOString();
    default:
      return String(node.value);
  }
}

function goQuote(text: string): string {
  return JSON.stringify(text);
}

function goFileError(path: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return `open ${path}: no such file or directory`;
  if (err.code === 'EACCES') return `open ${path}: permission denied`;
  if (err.code === 'EISDIR') return `read ${path}: is a directory`;
  return `open ${path}: ${err.message}`;
}
