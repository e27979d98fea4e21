// The authentication decision for one client connection, as nats-server's
// processClientOrLeafAuthentication (server/auth.go) makes it for a CLIENT, from an AuthConfig.
//
// Order of checks (the first that applies decides; nothing falls back to a later method):
//   1. No authentication configured: every client is accepted, into $G, without restrictions.
//   2. Operator mode (`operator`/`trusted`): a user JWT is required; nothing else is considered.
//   3. nkey users exist and the CONNECT names an nkey: that nkey user, proven by `sig` over the nonce.
//   4. Password users exist: the CONNECT's `user` (or, with no user, pass and token, the no_auth_user)
//      must be one of them, with its password. A user that is not found fails at once.
//   5. A no_auth_user that is an nkey user: accepted without a signature.
//   6. `token` configured: the CONNECT's auth_token must match; else a single `user`/`password`.
// bcrypt comparisons and signature checks run on the verify pool (see verify-pool.ts).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { isBcrypt, CONNECTION_TYPES, GLOBAL_ACCOUNT, type AuthConfig, type NkeyEntry, type UserEntry } from './config.js';
import {
  checkIssuerRole,
  decodeJwt,
  limitsProblems,
  parseClock,
  parseCidr,
  srcList,
  userClaimProblems,
  type AccountClaims,
  type DecodedJwt,
  type UserClaims,
  type UserPermissionLimits,
  type UserScope,
} from './jwt.js';
import { decodeSignature, isValidPublicUserKey } from './nkeys.js';
import {
  expandPermissionTemplates,
  permissionsFromJwt,
  resolvePermissions,
  TemplateError,
  type ResolvedPermissions,
} from './permissions.js';
import { VerifyPool, type Ed25519Check, type Verifier } from './verify-pool.js';
import { mapCertificateToUser, type CertIdentity } from './cert-identity.js';

/** The CONNECT protocol's JSON object, as the client sent it. Only the credential fields matter here. */
export interface ConnectRequest {
  verbose?: boolean;
  pedantic?: boolean;
  tls_required?: boolean;
  user?: string;
  pass?: string;
  auth_token?: string;
  nkey?: string;
  sig?: string;
  jwt?: string;
  name?: string;
  lang?: string;
  version?: string;
  protocol?: number;
  echo?: boolean;
  headers?: boolean;
  no_responders?: boolean;
  [field: string]: unknown;
}

/** How the client was authenticated. */
export type AuthMethod = 'none' | 'token' | 'user' | 'nkey' | 'jwt';

export interface AuthSuccess {
  ok: true;
  /** Username, nkey or JWT user public key; '' for token and no authentication. */
  user: string;
  /** Account name ($G when no accounts apply); the account's public key in operator mode. */
  account: string;
  /** Absent when the client may publish and subscribe to anything. */
  permissions?: ResolvedPermissions;
  method: AuthMethod;
  /** Operator mode: the account JWT's name (nats-server's log prefix shows `KEY/NAME/jwt:USER`). */
  accountName?: string;
  /** Operator mode: the user JWT's name. */
  name?: string;
  /**
   * Epoch ms at which the authentication ends (user JWT expiry, or the end of its allowed connect time
   * window). nats-server then closes the client with `-ERR 'User Authentication Expired'`.
   */
  expiresAt?: number;
  /**
   * Operator mode: the limits the JWTs carry, as written, for the engine to enforce (-1 means no limit;
   * nats-server reads a missing value as 0, e.g. an account JWT without `conn` admits no client:
   * "maximum account active connections exceeded"). `account` is the account JWT's `limits` object,
   * `user` the user JWT's (or scoped signing key template's) subs/data/payload.
   */
  jwtLimits?: { account: Record<string, unknown>; user: { subs?: number; data?: number; payload?: number } };
}

export interface AuthFailure {
  ok: false;
  /** nats-server's error log text, e.g. `authentication error - User "bob"`. */
  reason: string;
  /** What exactly failed, as nats-server logs it at debug level (e.g. "Signature not verified"). */
  detail?: string;
  /** The user is revoked in its account JWT (a live client is then closed with 'User Authentication Revoked'). */
  revoked?: true;
}

export type AuthResult = AuthSuccess | AuthFailure;

export interface AuthContext {
  /** The client's IP address, for JWT `src` limits. */
  clientIp?: string;
  /** Cancels queued verification work (client gone, auth timeout); the result is then a failure. */
  signal?: AbortSignal;
  /** The connection type for `allowed_connection_types`; default STANDARD. */
  connectionType?: string;
  /**
   * Set when the listener has `verify_and_map`: the user then comes from the client certificate (the
   * identity read after the handshake; undefined when the client sent none), not from CONNECT.
   */
  tlsMap?: { peer: CertIdentity | undefined };
}

export interface AuthenticatorOptions {
  /** Where bcrypt and signature checks run; default a lazily started VerifyPool. */
  verifier?: Verifier;
  /** Clock, epoch ms; default Date.now. */
  now?: () => number;
}

/** Raw bytes in a nonce (nats-server's nonceRawLen); base64url makes 15 characters. */
export const NONCE_RAW_LENGTH = 11;

export class Authenticator {
  /** INFO's `auth_required`: false with no authentication, and false when a no_auth_user is configured. */
  readonly required: boolean;
  /**
   * The server requires authentication, even when INFO says otherwise because of a no_auth_user:
   * the auth timer runs and a client's first protocol message must be CONNECT (but see
   * authenticateWithoutConnect for the no_auth_user exception).
   */
  readonly expectConnect: boolean;
  /** INFO must carry a `nonce` (nkey users or operator mode). */
  readonly needsNonce: boolean;

  private readonly users = new Map<string, UserEntry>();
  private readonly nkeys = new Map<string, NkeyEntry>();
  private readonly verifier: Verifier;
  private readonly ownsVerifier: boolean;
  private readonly now: () => number;

  constructor(
    readonly config: AuthConfig,
    options: AuthenticatorOptions = {},
  ) {
    for (const u of config.users) this.users.set(u.username, u);
    for (const n of config.nkeys) this.nkeys.set(n.nkey, n);
    this.expectConnect =
      config.operator !== undefined || this.users.size > 0 || this.nkeys.size > 0 || !!config.username || !!config.token;
    this.required =
      this.expectConnect && !(config.noAuthUser !== undefined && config.noAuthUser !== config.systemAccountOnlyNoAuthUser);
    this.needsNonce = this.nkeys.size > 0 || config.operator !== undefined;
    this.ownsVerifier = options.verifier === undefined;
    this.verifier = options.verifier ?? new VerifyPool();
    this.now = options.now ?? Date.now;
  }

  /** A fresh nonce for INFO: 11 random bytes, base64url without padding (15 characters). */
  newNonce(): string {
    return randomBytes(NONCE_RAW_LENGTH).toString('base64url');
  }

  /** Releases the verify pool if this Authenticator created it. */
  async close(): Promise<void> {
    if (this.ownsVerifier) await this.verifier.close();
  }

  /**
   * When a client's first protocol message is not CONNECT while expectConnect is set: nats-server
   * accepts it only if the no_auth_user is a password user, authenticating it as for an empty
   * CONNECT (so a bcrypt-hashed no_auth_user still fails). Otherwise 'Authorization Violation'.
   */
  async authenticateWithoutConnect(ctx: AuthContext = {}): Promise<AuthResult> {
    if (!this.expectConnect) return this.authenticate({}, undefined, ctx);
    if (this.config.noAuthUser !== undefined && this.users.has(this.config.noAuthUser)) return this.authenticate({}, undefined, ctx);
    return fail({}, 'no CONNECT received');
  }

  /** Decides whether a CONNECT is allowed in. Never throws. */
  async authenticate(connect: ConnectRequest, nonce?: string, ctx: AuthContext = {}): Promise<AuthResult> {
    try {
      return await this.decide(connect ?? {}, nonce, ctx);
    } catch (err) {
      const c = credentials(connect ?? {});
      if (isAbort(err)) return fail(c, 'authentication aborted');
      return fail(c, `authentication failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async decide(connect: ConnectRequest, nonce: string | undefined, ctx: AuthContext): Promise<AuthResult> {
    if (!this.expectConnect) return { ok: true, user: '', account: GLOBAL_ACCOUNT, method: 'none' };
    const c = credentials(connect);
    const connType = (ctx.connectionType ?? 'STANDARD').toUpperCase();
    const config = this.config;
    const now = this.now();

    let juc: DecodedJwt<UserClaims> | undefined;
    if (config.operator !== undefined) {
      if (c.jwt === '') return fail(c, 'Authentication requires a user JWT');
      try {
        juc = decodeJwt<UserClaims>(c.jwt);
        if (juc.kind !== 'user') return fail(c, 'User JWT not valid: not user claim');
        checkIssuerRole(juc);
      } catch (err) {
        return fail(c, `User JWT not valid: ${(err as Error).message}`);
      }
      const problems = userClaimProblems(juc.claims, now);
      if (problems.length > 0) return fail(c, `User JWT no longer valid: ${problems.join(', ')}`);
    }

    let nkeyUser: NkeyEntry | undefined;
    let user: UserEntry | undefined;
    let nkeyNeedsSignature = true;
    const noAuthApplies = config.noAuthUser !== undefined && c.user === '' && c.pass === '' && c.token === '';
    if (this.nkeys.size > 0 && c.nkey !== '') {
      nkeyUser = this.nkeys.get(c.nkey);
      if (nkeyUser === undefined || !connectionTypeAllowed(nkeyUser.allowedConnectionTypes, connType)) return fail(c);
    } else if (this.users.size > 0 && ctx.tlsMap !== undefined) {
      // verify_and_map: the certificate names the user; the password check below still applies (an empty
      // password matches a user configured without one).
      const allowed = [...this.users.values()].filter((u) => connectionTypeAllowed(u.allowedConnectionTypes, connType));
      const peer = ctx.tlsMap.peer;
      const name = peer !== undefined ? mapCertificateToUser(peer, allowed.map((u) => u.username)) : undefined;
      if (name === undefined) return fail(c, peer === undefined ? 'User required in cert, no peer certificates found' : 'User in cert not found');
      user = this.users.get(name);
      c.user = name;
    } else if (this.users.size > 0) {
      if (noAuthApplies) {
        const u = this.users.get(config.noAuthUser!);
        if (u !== undefined) {
          c.user = u.username;
          c.pass = u.password;
        }
      }
      if (c.user !== '') {
        user = this.users.get(c.user);
        if (user === undefined || !connectionTypeAllowed(user.allowedConnectionTypes, connType)) return fail(c);
      }
    }
    if (juc === undefined && nkeyUser === undefined && user === undefined && noAuthApplies) {
      const n = this.nkeys.get(config.noAuthUser!);
      if (n !== undefined && connectionTypeAllowed(n.allowedConnectionTypes, connType)) {
        nkeyUser = n;
        nkeyNeedsSignature = false;
      }
    }

    if (juc !== undefined) return this.jwtUser(c, juc, nonce, ctx, connType, now);

    if (nkeyUser !== undefined) {
      if (nkeyNeedsSignature) {
        if (c.sig === '') return fail(c, 'Signature missing');
        const sig = decodeSignature(c.sig);
        if (sig === undefined) return fail(c, 'Signature not valid base64');
        if (nonce === undefined) return fail(c, 'no nonce was sent to this client');
        const bad = await this.verifier.ed25519([{ publicKey: nkeyUser.nkey, data: nonce, signature: sig }], ctx.signal);
        if (bad !== -1) return fail(c, 'Signature not verified');
      }
      return success(nkeyUser.nkey, nkeyUser.account, 'nkey', resolvePermissions(nkeyUser.permissions));
    }

    if (user !== undefined) {
      if (!(await this.comparePasswords(user.password, c.pass, ctx.signal))) return fail(c);
      return success(user.username, user.account, 'user', resolvePermissions(user.permissions));
    }

    if (config.token !== undefined) {
      if (!(await this.comparePasswords(config.token, c.token, ctx.signal))) return fail(c);
      return success('', GLOBAL_ACCOUNT, 'token');
    }
    if (config.username !== undefined) {
      if (config.username !== c.user || !(await this.comparePasswords(config.password ?? '', c.pass, ctx.signal))) return fail(c);
      return success(config.username, GLOBAL_ACCOUNT, 'user');
    }
    return fail(c);
  }

  /** The JWT half of processClientOrLeafAuthentication. */
  private async jwtUser(
    c: Credentials,
    juc: DecodedJwt<UserClaims>,
    nonce: string | undefined,
    ctx: AuthContext,
    connType: string,
    now: number,
  ): Promise<AuthResult> {
    const op = this.config.operator!;
    const claims = juc.claims;
    const nats = claims.nats ?? {};
    const userKey = claims.sub ?? '';

    const types = connectionTypesFromJwt(nats.allowed_connection_types);
    if (types === null) return fail(c, `invalid connection types ${JSON.stringify(nats.allowed_connection_types)}`);
    if (!connectionTypeAllowed(types, connType)) return fail(c, 'Connection type not allowed');

    const issuer = nats.issuer_account || claims.iss || '';
    if (op.pinnedAccounts !== undefined && op.pinnedAccounts.size > 0 && !op.pinnedAccounts.has(issuer)) {
      return fail(c, `Account ${issuer} not listed as operator pinned account`);
    }
    const acc = op.accounts.get(issuer);
    if (acc === undefined) return fail(c, 'Account JWT lookup error: account missing');
    // nats-server refuses to load an account JWT that is not the named account or not signed by a trusted key.
    if (acc.claims.sub !== issuer || !op.trustedKeys.includes(acc.claims.iss ?? '')) {
      return fail(c, 'Account JWT lookup error: account validation failed');
    }

    // The user's issuer must be the account itself or one of its signing keys.
    let limits: UserPermissionLimits = nats;
    if (claims.iss !== acc.claims.sub) {
      const scope = signingKeyScope(acc.claims, claims.iss ?? '');
      if (scope === undefined) return fail(c, 'User JWT issuer is not known');
      if (scope !== null) {
        if (!scopedUserIsEmpty(nats)) return fail(c, 'User JWT is not valid: scoped users require no permissions or limits set');
        try {
          limits = expandPermissionTemplates(scope.template ?? {}, {
            name: claims.name ?? '',
            subject: userKey,
            accountName: acc.claims.name ?? '',
            accountSubject: nats.issuer_account ?? '',
            userTags: nats.tags ?? [],
            accountTags: acc.claims.nats?.tags ?? [],
          });
        } catch (err) {
          if (err instanceof TemplateError) return fail(c, 'User JWT generated invalid permissions');
          throw err;
        }
        const problems = limitsProblems(limits);
        if (problems.length > 0) return fail(c, `User JWT no longer valid: ${problems.join(', ')}`);
      }
    }
    if (typeof acc.claims.exp === 'number' && acc.claims.exp > 0 && Math.floor(now / 1000) > acc.claims.exp) {
      return fail(c, 'Account JWT has expired');
    }
    const bearer = limits.bearer_token === true;
    if (bearer && acc.claims.nats?.limits?.disallow_bearer === true) return fail(c, 'Account does not allow bearer tokens');

    const checks: Ed25519Check[] = [{ publicKey: claims.iss ?? '', data: juc.signingInput, signature: juc.signature }];
    if (!bearer) {
      if (c.sig === '') return fail(c, 'Signature missing');
      const sig = decodeSignature(c.sig);
      if (sig === undefined) return fail(c, 'Signature not valid base64');
      if (!isValidPublicUserKey(userKey)) return fail(c, 'User nkey not valid');
      if (nonce === undefined) return fail(c, 'no nonce was sent to this client');
      checks.push({ publicKey: userKey, data: nonce, signature: sig });
    }
    if (isRevoked(acc.claims, userKey, claims.iat ?? 0)) return { ...fail(c, 'User authentication revoked'), revoked: true };
    if (!sourceAllowed(srcList(limits.src), ctx.clientIp)) return fail(c, `Bad src Ip ${ctx.clientIp ?? ''}`);
    const window = connectWindow(limits, now);
    if (window === null) return fail(c, 'Outside connect times');

    const bad = await this.verifier.ed25519(checks, ctx.signal);
    if (bad === 0) return fail(c, `User JWT not valid: claim failed V${juc.version} signature verification`);
    if (bad === 1) return fail(c, 'Signature not verified');

    const own = permissionsFromJwt(limits);
    const permissions = resolvePermissions(own ?? permissionsFromJwt(acc.claims.nats?.default_permissions));
    const result = success(userKey, issuer, 'jwt', permissions);
    if (acc.claims.name !== undefined) result.accountName = acc.claims.name;
    if (claims.name !== undefined) result.name = claims.name;
    const userLimits: { subs?: number; data?: number; payload?: number } = {};
    for (const k of ['subs', 'data', 'payload'] as const) if (typeof limits[k] === 'number') userLimits[k] = limits[k];
    result.jwtLimits = { account: { ...(acc.claims.nats?.limits ?? {}) }, user: userLimits };
    const expiries = [typeof claims.exp === 'number' && claims.exp > 0 ? claims.exp * 1000 : Infinity, window];
    const expiresAt = Math.min(...expiries);
    if (Number.isFinite(expiresAt)) result.expiresAt = expiresAt;
    return result;
  }

  /** nats-server's comparePasswords: bcrypt when the configured value is a bcrypt hash, else equality. */
  private async comparePasswords(configured: string, given: string, signal?: AbortSignal): Promise<boolean> {
    if (isBcrypt(configured)) return this.verifier.bcrypt(configured, given, signal);
    return constantTimeEquals(configured, given);
  }
}

// ---------------------------------------------------------------------------------------------

interface Credentials {
  user: string;
  pass: string;
  token: string;
  nkey: string;
  sig: string;
  jwt: string;
}

function credentials(connect: ConnectRequest): Credentials {
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    user: s(connect.user),
    pass: s(connect.pass),
    token: s(connect.auth_token),
    nkey: s(connect.nkey),
    sig: s(connect.sig),
    jwt: s(connect.jwt),
  };
}

function success(user: string, account: string, method: AuthMethod, permissions?: ResolvedPermissions): AuthSuccess {
  const result: AuthSuccess = { ok: true, user, account, method };
  if (permissions !== undefined) result.permissions = permissions;
  return result;
}

/** nats-server's authViolation log text, which names the nkey, else the user, else a (redacted) token. */
function fail(c: Partial<Credentials>, detail?: string): AuthFailure {
  let reason = 'authentication error';
  if (c.nkey) reason += ` - Nkey ${JSON.stringify(c.nkey)}`;
  else if (c.user) reason += ` - User ${JSON.stringify(c.user)}`;
  else if (c.token) reason += ' - Token "[REDACTED]"';
  const result: AuthFailure = { ok: false, reason };
  if (detail !== undefined) result.detail = detail;
  return result;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}

/** Equality without timing that depends on where the strings differ. */
function constantTimeEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

function connectionTypeAllowed(allowed: readonly string[] | undefined, type: string): boolean {
  return allowed === undefined || allowed.length === 0 || allowed.includes(type);
}

/** convertAllowedConnectionTypes: unknown types are dropped; null when only unknown ones were listed. */
function connectionTypesFromJwt(list: unknown): string[] | null {
  if (!Array.isArray(list) || list.length === 0) return [];
  const known = list.filter((t): t is string => typeof t === 'string').map((t) => t.toUpperCase());
  const valid = known.filter((t) => (CONNECTION_TYPES as readonly string[]).includes(t));
  return valid.length === 0 ? null : valid;
}

/** undefined: not a signing key of the account; null: a plain signing key; else the scope. */
function signingKeyScope(account: AccountClaims, key: string): UserScope | null | undefined {
  for (const sk of account.nats?.signing_keys ?? []) {
    if (typeof sk === 'string') {
      if (sk === key) return null;
    } else if (sk !== null && typeof sk === 'object' && sk.key === key) {
      return sk.kind === 'user_scope' ? sk : undefined;
    }
  }
  return undefined;
}

/** UserScope.ValidateScopedSigner: a user signed by a scoped key may not carry permissions or limits. */
function scopedUserIsEmpty(nats: UserPermissionLimits): boolean {
  const emptyList = (l: unknown): boolean => !Array.isArray(l) || l.length === 0;
  // Zero values only: even -1 ("unlimited", which nsc writes for ordinary users) counts as a limit.
  const noLimit = (n: unknown): boolean => n === undefined || n === null || n === 0;
  return (
    emptyList(nats.pub?.allow) &&
    emptyList(nats.pub?.deny) &&
    emptyList(nats.sub?.allow) &&
    emptyList(nats.sub?.deny) &&
    (nats.resp === undefined || nats.resp === null) &&
    srcList(nats.src).length === 0 &&
    emptyList(nats.times) &&
    !nats.times_location &&
    noLimit(nats.subs) &&
    noLimit(nats.data) &&
    noLimit(nats.payload) &&
    nats.bearer_token !== true &&
    emptyList(nats.allowed_connection_types)
  );
}

/** Account revocations: the user key, or "*", revoked at or after the user JWT was issued. */
function isRevoked(account: AccountClaims, userKey: string, issuedAt: number): boolean {
  const revocations = account.nats?.revocations;
  if (revocations === undefined || revocations === null) return false;
  const at = (key: string): number | undefined => (typeof revocations[key] === 'number' ? revocations[key] : undefined);
  const t = at(userKey);
  if (t !== undefined && t >= issuedAt) return true;
  const all = at('*');
  return all !== undefined && all >= issuedAt;
}

/** validateSrc: no list allows all; otherwise the client's address must be in one of the CIDRs. */
function sourceAllowed(cidrs: string[], clientIp: string | undefined): boolean {
  if (cidrs.length === 0) return true;
  if (clientIp === undefined || clientIp === '') return false;
  const ip = clientIp.startsWith('::ffff:') && isIP(clientIp.slice(7)) === 4 ? clientIp.slice(7) : clientIp;
  const family = isIP(ip);
  if (family === 0) return false;
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (cidr === undefined) return false;
    const list = new BlockList();
    try {
      list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    } catch {
      return false;
    }
    if (list.check(ip, family === 4 ? 'ipv4' : 'ipv6')) return true;
  }
  return false;
}

/**
 * validateTimes: with no ranges, always (Infinity). Otherwise the end (epoch ms) of the range the
 * current wall-clock time (in `times_location`, default the local zone) falls in, or null. A range
 * whose start is after its end runs past midnight, but only starting today counts, as in nats-server.
 */
function connectWindow(limits: UserPermissionLimits, now: number): number | null {
  const times = limits.times ?? [];
  if (times.length === 0) return Infinity;
  const nowSec = secondsOfDay(now, limits.times_location || undefined);
  if (nowSec === undefined) return null;
  for (const range of times) {
    const start = parseClock(range.start ?? '');
    let end = parseClock(range.end ?? '');
    if (start === undefined || end === undefined) return null;
    if (start > end) end += 86_400;
    if (start < nowSec && end > nowSec) return now + (end - nowSec) * 1000;
  }
  return null;
}

function secondsOfDay(now: number, timeZone: string | undefined): number | undefined {
  try {
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(new Date(now));
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? NaN);
    const seconds = get('hour') * 3600 + get('minute') * 60 + get('second') + (now % 1000) / 1000;
    return Number.isFinite(seconds) ? seconds : undefined;
  } catch {
    return undefined;
  }
}
