// NATS JWTs (github.com/nats-io/jwt/v2, the format `nsc` and `nats auth` write): decoding, claim types,
// signature and validity checks, decorated files and .creds files.
//
// A NATS JWT is header.claims.signature, each base64url without padding. The header is
// {"typ":"JWT","alg":"ed25519-nkey"}; the signature is ed25519 over "header.claims" (over "claims" alone
// for version-1 JWTs, alg "ed25519") by the key named in `iss`. Operators sign themselves and accounts,
// accounts (or their signing keys) sign users.

import { decodeBase64UrlStrict, publicKeyRole, verify, isValidPublicAccountKey, type KeyRole } from './nkeys.js';

/** All encoded JWTs start with this (base64 of `{"`). */
export const JWT_PREFIX = 'eyJ';

/** A JWT that cannot be used; the message is the Go library's wording where there is one. */
export class JwtError extends Error {
  override name = 'JwtError';
}

export interface JwtHeader {
  typ: string;
  alg: string;
}

/** The registered claims every NATS JWT has. */
export interface ClaimsData {
  jti?: string;
  iat?: number;
  iss?: string;
  name?: string;
  sub?: string;
  exp?: number;
  nbf?: number;
  aud?: string;
}

export interface JwtPermission {
  allow?: string[];
  deny?: string[];
}

/** Permissions as JWTs carry them; `resp.ttl` is a Go time.Duration in nanoseconds. */
export interface JwtPermissions {
  pub?: JwtPermission;
  sub?: JwtPermission;
  resp?: { max?: number; ttl?: number };
}

export interface JwtTimeRange {
  start?: string;
  end?: string;
}

/** Permissions and limits of a user, also the template of a scoped signing key. */
export interface UserPermissionLimits extends JwtPermissions {
  src?: string[] | string;
  times?: JwtTimeRange[];
  times_location?: string;
  subs?: number;
  data?: number;
  payload?: number;
  bearer_token?: boolean;
  allowed_connection_types?: string[];
}

export interface UserNats extends UserPermissionLimits {
  issuer_account?: string;
  tags?: string[];
  type?: string;
  version?: number;
}

export interface UserClaims extends ClaimsData {
  nats?: UserNats;
}

export interface UserScope {
  kind: 'user_scope';
  key: string;
  role?: string;
  template?: UserPermissionLimits;
  description?: string;
}

export interface AccountNats {
  signing_keys?: Array<string | UserScope>;
  revocations?: Record<string, number>;
  default_permissions?: JwtPermissions;
  limits?: { disallow_bearer?: boolean; [limit: string]: unknown };
  tags?: string[];
  imports?: unknown[];
  exports?: unknown[];
  type?: string;
  version?: number;
  [field: string]: unknown;
}

export interface AccountClaims extends ClaimsData {
  nats?: AccountNats;
}

export interface OperatorNats {
  signing_keys?: string[];
  system_account?: string;
  strict_signing_key_usage?: boolean;
  account_server_url?: string;
  assert_server_version?: string;
  type?: string;
  version?: number;
  [field: string]: unknown;
}

export interface OperatorClaims extends ClaimsData {
  nats?: OperatorNats;
}

export type ClaimKind = 'operator' | 'account' | 'user' | 'activation' | 'authorization' | 'generic';

export interface DecodedJwt<C extends ClaimsData = ClaimsData> {
  token: string;
  header: JwtHeader;
  claims: C;
  kind: ClaimKind;
  /** 1 for the legacy format (top-level `type`, signature over the claims segment only), else 2. */
  version: number;
  /** The bytes the signature covers. */
  signingInput: string;
  signature: Uint8Array;
}

/** What may sign each kind of claim (jwt's ExpectedPrefixes). */
const ISSUER_ROLE: Partial<Record<ClaimKind, KeyRole>> = {
  operator: 'operator',
  account: 'operator',
  user: 'account',
  activation: 'account',
  authorization: 'server',
};

/** Highest claim version this code (and nats-server 2.12) understands. */
const LIB_VERSION = 2;

/**
 * Splits and parses a JWT without checking its signature. Throws JwtError for a token that nats-server's
 * jwt library would not decode (wrong shape, header, encoding, newer version).
 */
export function decodeJwt<C extends ClaimsData = ClaimsData>(token: string): DecodedJwt<C> {
  if (typeof token !== 'string') throw new JwtError('expected 3 chunks');
  const chunks = token.split('.');
  if (chunks.length !== 3) throw new JwtError('expected 3 chunks');
  const header = parseJsonSegment(chunks[0]) as Partial<JwtHeader>;
  const typ = typeof header.typ === 'string' ? header.typ : '';
  const alg = typeof header.alg === 'string' ? header.alg : '';
  if (typ.toUpperCase() !== 'JWT') throw new JwtError(`not supported type ${goQuote(typ)}`);
  const algLower = alg.toLowerCase();
  if (algLower !== 'ed25519' && algLower !== 'ed25519-nkey') throw new JwtError(`unexpected ${goQuote(alg)} algorithm`);
  const claims = parseJsonSegment(chunks[1]) as C & { type?: unknown; nats?: { type?: unknown; version?: unknown } };
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new JwtError('claims are not a JSON object');
  let kindText: unknown;
  let version: number;
  if (typeof claims.type === 'string' && claims.type !== '') {
    kindText = claims.type;
    version = 1;
  } else {
    kindText = claims.nats?.type;
    version = typeof claims.nats?.version === 'number' ? claims.nats.version : 0;
  }
  if (version > LIB_VERSION) throw new JwtError('JWT was generated by a newer version ');
  const kind: ClaimKind =
    kindText === 'operator' || kindText === 'account' || kindText === 'user' || kindText === 'activation' || kindText === 'authorization'
      ? kindText
      : 'generic';
  const signature = decodeBase64UrlStrict(chunks[2]);
  if (signature === undefined) throw new JwtError('illegal base64 data in signature');
  const signingInput = version <= 1 ? chunks[1] : `${chunks[0]}.${chunks[1]}`;
  return { token, header: { typ, alg }, claims, kind, version: version <= 1 ? 1 : 2, signingInput, signature };
}

/**
 * The jwt library's Decode: the signature must verify with the issuer's key, and the issuer must be
 * of the role that may sign this kind of claim. Synchronous; use for the few JWTs of a configuration.
 */
export function verifyJwt(decoded: DecodedJwt): void {
  const issuer = decoded.claims.iss ?? '';
  if (!verify(issuer, decoded.signingInput, decoded.signature)) {
    throw new JwtError(`claim failed V${decoded.version} signature verification`);
  }
  checkIssuerRole(decoded);
}

/** The issuer-role half of verifyJwt, for callers that check the signature elsewhere. */
export function checkIssuerRole(decoded: DecodedJwt): void {
  const role = ISSUER_ROLE[decoded.kind];
  if (role !== undefined && publicKeyRole(decoded.claims.iss ?? '') !== role) {
    throw new JwtError(`unable to validate expected prefixes - [${role}]`);
  }
}

/** Decodes and verifies a JWT that must be of one kind (DecodeOperatorClaims, DecodeAccountClaims, ...). */
export function decodeVerified<C extends ClaimsData>(token: string, kind: ClaimKind): DecodedJwt<C> {
  const decoded = decodeJwt<C>(token);
  verifyJwt(decoded);
  if (decoded.kind !== kind) throw new JwtError(`not ${kind} claim`);
  return decoded;
}

/** The time checks of ClaimsData.Validate, as nats-server's "blocking" validation results. */
export function timeProblems(claims: ClaimsData, nowMs: number): string[] {
  const now = Math.floor(nowMs / 1000);
  const problems: string[] = [];
  if (typeof claims.exp === 'number' && claims.exp > 0 && now > claims.exp) problems.push('claim is expired');
  if (typeof claims.nbf === 'number' && claims.nbf > 0 && claims.nbf > now) problems.push('claim is not yet valid');
  return problems;
}

/**
 * UserClaims.Validate: times, permission subjects, limits (src CIDRs, time ranges, time zone) and
 * issuer_account. Every problem blocks the connection in nats-server.
 */
export function userClaimProblems(claims: UserClaims, nowMs: number): string[] {
  const problems = timeProblems(claims, nowMs);
  const nats = claims.nats ?? {};
  problems.push(...limitsProblems(nats));
  if (nats.issuer_account !== undefined && nats.issuer_account !== '' && !isValidPublicAccountKey(nats.issuer_account)) {
    problems.push('account_id is not an account public key');
  }
  return problems;
}

/** Permissions.Validate and Limits.Validate of the jwt library (also used for scoped-key templates). */
export function limitsProblems(limits: UserPermissionLimits): string[] {
  const problems: string[] = [];
  for (const subject of listOf(limits.sub?.allow).concat(listOf(limits.sub?.deny))) problems.push(...permissionProblems(subject, true));
  for (const subject of listOf(limits.pub?.allow).concat(listOf(limits.pub?.deny))) problems.push(...permissionProblems(subject, false));
  for (const cidr of srcList(limits.src)) {
    if (parseCidr(cidr) === undefined) problems.push(`invalid cidr ${goQuote(cidr)} in user src limits`);
  }
  for (const range of limits.times ?? []) {
    if (!range.start) problems.push('time ranges start must contain a start');
    else if (parseClock(range.start) === undefined) problems.push(`start in time range is invalid ${goQuote(range.start)}`);
    if (!range.end) problems.push('time ranges end must contain an end');
    else if (parseClock(range.end) === undefined) problems.push(`end in time range is invalid ${goQuote(range.end)}`);
  }
  if (limits.times_location && !isTimeZone(limits.times_location)) {
    problems.push(`could not parse iana time zone by name: unknown time zone ${limits.times_location}`);
  }
  return problems;
}

function permissionProblems(subject: string, permitQueue: boolean): string[] {
  if (typeof subject !== 'string') return ['subject cannot be empty'];
  const tokens = subject.split(' ');
  if (tokens.length > 2) return [`Permission Subject "${subject}" contains too many spaces`];
  const problems = tokens.flatMap(jwtSubjectProblems);
  if (tokens.length === 2 && !permitQueue) problems.push(`Permission Subject "${subject}" is not allowed to contain queue`);
  return problems;
}

/** jwt's Subject.Validate (looser than nats-server's subject rules). */
function jwtSubjectProblems(subject: string): string[] {
  if (subject === '') return ['subject cannot be empty'];
  const problems: string[] = [];
  if (subject.includes(' ')) problems.push(`subject ${goQuote(subject)} cannot have spaces`);
  if (subject.startsWith('.') || subject.endsWith('.')) problems.push(`subject ${goQuote(subject)} cannot start or end with a \`.\``);
  if (subject.includes('..')) problems.push(`subject ${goQuote(subject)} cannot contain consecutive \`.\``);
  return problems;
}

/** `src` may be a JSON array or a comma separated string. */
export function srcList(src: string[] | string | undefined): string[] {
  if (src === undefined) return [];
  if (typeof src === 'string') {
    return src
      .toLowerCase()
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  return Array.isArray(src) ? src.filter((s) => typeof s === 'string') : [];
}

function listOf(list: unknown): string[] {
  return Array.isArray(list) ? (list as string[]) : [];
}

export interface Cidr {
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
}

/** Go's net.ParseCIDR: "address/prefix" with a prefix in range; undefined otherwise. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(address)) {
    if (address.split('.').some((octet) => Number(octet) > 255) || prefix > 32) return undefined;
    return { family: 'ipv4', address, prefix };
  }
  if (address.includes(':') && /^[0-9a-fA-F:.]+$/.test(address) && prefix <= 128) return { family: 'ipv6', address, prefix };
  return undefined;
}

/** "15:04:05" clock times as seconds since midnight. */
export function parseClock(text: string): number | undefined {
  const m = /^([0-9]{2}):([0-9]{2}):([0-9]{2})$/.exec(text);
  if (m === null) return undefined;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (h > 23 || min > 59 || s > 59) return undefined;
  return h * 3600 + min * 60 + s;
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** A JWT as written in a file, possibly "decorated" with -----BEGIN ...----- lines (ParseDecoratedJWT). */
export function parseDecoratedJwt(text: string): string {
  const blocks = decoratedBlocks(text);
  return blocks.length > 0 ? blocks[0] : text.trim();
}

/** A .creds file: the user JWT and the user's nkey seed. */
export function parseCredsFile(text: string): { jwt: string; seed: string } {
  const blocks = decoratedBlocks(text);
  if (blocks.length < 2) throw new JwtError('no nkey user seed found');
  return { jwt: blocks[0], seed: blocks[1] };
}

function decoratedBlocks(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:-{3,}[^\n]*-{3,}\r?\n)([\s\S]+?)(?:\r?\n\s*-{3,}[^\n]*-{3,}\r?\n?)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push(m[1].trim());
  return out;
}

function parseJsonSegment(segment: string): unknown {
  const bytes = decodeBase64UrlStrict(segment);
  if (bytes === undefined) throw new JwtError('illegal base64 data');
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    const message = (err as Error).message;
    throw new JwtError(message.charAt(0).toLowerCase() + message.slice(1));
  }
}

function goQuote(text: string): string {
  return JSON.stringify(text);
}
