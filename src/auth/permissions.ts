// Publish/subscribe permissions: the shapes the configuration and JWTs give them, and the one resolved,
// JSON-serialisable shape handed to the engine, built the way nats-server builds a client's permissions.
//
// ResolvedPermissions, as the engine must read it (nats-server's client.go setPermissions/canSubscribe):
//   * No object at all (undefined) means the client may publish and subscribe to anything.
//   * `publish.allow` absent: every subject is allowed unless denied. Present, even empty: only subjects
//     matching an entry are allowed (an empty list allows nothing, which is how `allowResponses` alone
//     limits a client to replying). `publish.deny`: subjects matching an entry are refused; deny wins.
//   * `subscribe` works the same, except that an empty `allow` is left out (nats-server ignores an empty
//     subscribe allow list). Entries may be "subject queue": such an entry matches only subscriptions in
//     that queue group; a plain entry matches with or without a queue group.
//   * `allowResponses`: the client may publish to the reply subject of a message it received, `max` times
//     within `expiresMs` of receiving it. Both are non-negative integers (the engine reads them as u32 and
//     u64): nats-server's defaults are already applied (max 1, 2 minutes), nats-server's "no limit"
//     (a negative value in the configuration) is written as max 4294967295 (UNLIMITED_RESPONSES) and as
//     expiresMs 0 (NO_RESPONSE_EXPIRY).
// Entries are wildcard subjects matched with NATS rules (`*` one token, `>` the rest).

import type { JwtPermissions, UserPermissionLimits } from './jwt.js';
import { isValidSubject } from '../native/index.js';

// auth/config.ts and the tests take it from here.
export { isValidSubject };

export interface SubjectPermission {
  allow?: string[];
  deny?: string[];
}

export interface ResponsePermission {
  /** Responses allowed per received request. As configured, 0 means the default and negative no limit. */
  max: number;
  /** How long after the request a response is allowed, ms. As configured, 0 means the default, negative never. */
  expiresMs: number;
}

/** Permissions as configured (a user's `permissions`, `default_permissions`) or as a JWT gives them. */
export interface Permissions {
  publish?: SubjectPermission;
  subscribe?: SubjectPermission;
  /** `allow_responses`; 0 values mean "the default", as in nats-server. */
  response?: ResponsePermission;
}

/** `allowResponses.max` for "no limit" (u32::MAX). */
export const UNLIMITED_RESPONSES = 0xffff_ffff;
/** `allowResponses.expiresMs` for "never expires". */
export const NO_RESPONSE_EXPIRY = 0;

/** What the engine enforces for one client. See the header comment for the exact meaning. */
export interface ResolvedPermissions {
  publish?: SubjectPermission;
  subscribe?: SubjectPermission;
  allowResponses?: ResponsePermission;
}

/** nats-server's DEFAULT_ALLOW_RESPONSE_MAX_MSGS. */
export const DEFAULT_ALLOW_RESPONSE_MAX_MSGS = 1;
/** nats-server's DEFAULT_ALLOW_RESPONSE_EXPIRATION (2 minutes). */
export const DEFAULT_ALLOW_RESPONSE_EXPIRATION_MS = 2 * 60_000;

/**
 * The permissions a client gets: its own if it has any, else the defaults (nats-server replaces, it does
 * not merge: a user with only `subscribe` rules may publish anywhere even if the defaults restrict
 * publishing). Response permissions get their defaults and turn off the blanket publish allow, as
 * nats-server's validateResponsePermissions does. Undefined when nothing is restricted.
 */
export function resolvePermissions(own: Permissions | undefined, defaults?: Permissions): ResolvedPermissions | undefined {
  const p = own ?? defaults;
  if (p === undefined) return undefined;
  const out: ResolvedPermissions = {};
  let publish = copySubjectPermission(p.publish, true);
  if (p.response !== undefined) {
    publish ??= {};
    publish.allow ??= [];
    const { max, expiresMs } = p.response;
    out.allowResponses = {
      max: max === 0 ? DEFAULT_ALLOW_RESPONSE_MAX_MSGS : max < 0 ? UNLIMITED_RESPONSES : Math.min(Math.trunc(max), UNLIMITED_RESPONSES),
      expiresMs: expiresMs === 0 ? DEFAULT_ALLOW_RESPONSE_EXPIRATION_MS : expiresMs < 0 ? NO_RESPONSE_EXPIRY : Math.trunc(expiresMs),
    };
  }
  if (publish !== undefined) out.publish = publish;
  const subscribe = copySubjectPermission(p.subscribe, false);
  if (subscribe !== undefined) out.subscribe = subscribe;
  return out.publish === undefined && out.subscribe === undefined && out.allowResponses === undefined ? undefined : out;
}

function copySubjectPermission(p: SubjectPermission | undefined, keepEmptyAllow: boolean): SubjectPermission | undefined {
  if (p === undefined) return undefined;
  const out: SubjectPermission = {};
  if (p.allow !== undefined && (p.allow.length > 0 || keepEmptyAllow)) out.allow = [...p.allow];
  if (p.deny !== undefined && p.deny.length > 0) out.deny = [...p.deny];
  return out.allow === undefined && out.deny === undefined ? undefined : out;
}

/**
 * nats-server's buildPermissionsFromJwt: a side counts only if it has entries; `resp.ttl` is in
 * nanoseconds. Undefined when the JWT sets nothing (the account's default permissions then apply).
 */
export function permissionsFromJwt(p: JwtPermissions | undefined): Permissions | undefined {
  if (p === undefined || p === null) return undefined;
  const out: Permissions = {};
  const side = (s: { allow?: string[]; deny?: string[] } | undefined): SubjectPermission | undefined => {
    if (s === undefined || s === null) return undefined;
    const allow = Array.isArray(s.allow) ? s.allow : undefined;
    const deny = Array.isArray(s.deny) ? s.deny : undefined;
    if ((allow?.length ?? 0) === 0 && (deny?.length ?? 0) === 0) return undefined;
    const r: SubjectPermission = {};
    if (allow !== undefined) r.allow = [...allow];
    if (deny !== undefined) r.deny = [...deny];
    return r;
  };
  const publish = side(p.pub);
  if (publish !== undefined) out.publish = publish;
  const subscribe = side(p.sub);
  if (subscribe !== undefined) out.subscribe = subscribe;
  if (p.resp !== undefined && p.resp !== null) {
    const ttlNs = typeof p.resp.ttl === 'number' ? p.resp.ttl : 0;
    out.response = { max: typeof p.resp.max === 'number' ? p.resp.max : 0, expiresMs: Math.trunc(ttlNs / 1e6) };
  }
  return out.publish === undefined && out.subscribe === undefined && out.response === undefined ? undefined : out;
}

/**
 * nats-server's checkPermSubjectArray for one entry: a subject, or "subject queue". Returns the error
 * text, or undefined when the entry is fine.
 */
export function permissionSubjectError(entry: string): string | undefined {
  if (isValidSubject(entry)) return undefined;
  const fields = entry.trim().split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 2) return `subject ${JSON.stringify(entry)} is not a valid subject`;
  if (!isValidSubject(fields[0])) return `subject ${JSON.stringify(fields[0])} is not a valid subject`;
  return undefined;
}

/** What the templates of a scoped signing key may refer to. */
export interface TemplateContext {
  /** The user JWT's `name`. */
  name: string;
  /** The user's public key. */
  subject: string;
  /** The account JWT's `name`. */
  accountName: string;
  /** The account's public key (the user JWT's issuer_account). */
  accountSubject: string;
  userTags: string[];
  accountTags: string[];
}

/** Thrown when a template makes an invalid deny subject (nats-server refuses the user then). */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

/**
 * nats-server's processUserPermissionsTemplate: expands {{name()}}, {{subject()}}, {{account-name()}},
 * {{account-subject()}}, {{tag(x)}} and {{account-tag(x)}} in the permission lists of a scoped signing
 * key's template. Allow entries that come out invalid are dropped (and an allow list emptied that way
 * turns into `deny: [">"]`); invalid deny entries throw TemplateError.
 */
export function expandPermissionTemplates(limits: UserPermissionLimits, ctx: TemplateContext): UserPermissionLimits {
  const out: UserPermissionLimits = { ...limits, pub: { ...limits.pub }, sub: { ...limits.sub } };
  const subAllowWasSet = (limits.sub?.allow?.length ?? 0) > 0;
  const pubAllowWasSet = (limits.pub?.allow?.length ?? 0) > 0;
  out.sub!.allow = applyTemplate(limits.sub?.allow, ctx, false);
  out.sub!.deny = applyTemplate(limits.sub?.deny, ctx, true);
  out.pub!.allow = applyTemplate(limits.pub?.allow, ctx, false);
  out.pub!.deny = applyTemplate(limits.pub?.deny, ctx, true);
  if (subAllowWasSet && (out.sub!.allow?.length ?? 0) === 0) out.sub!.deny = addUnique(out.sub!.deny, '>');
  if (pubAllowWasSet && (out.pub!.allow?.length ?? 0) === 0) out.pub!.deny = addUnique(out.pub!.deny, '>');
  return out;
}

const isTemplateToken = (token: string): boolean => token.startsWith('{{') && token.endsWith('}}');

function applyTemplate(list: string[] | undefined, ctx: TemplateContext, failOnBad: boolean): string[] | undefined {
  if (list === undefined || !list.some((entry) => entry.split('.').some(isTemplateToken))) return list;
  const emitted: string[] = [];
  const emit = (subject: string): void => {
    if (isValidSubject(subject)) emitted.push(subject);
    else if (failOnBad) throw new TemplateError('generated invalid subject');
  };
  for (const entry of list) {
    const tokens = entry.split('.');
    const tagValues: string[][] = [];
    const expanded = tokens.map((token) => {
      if (!isTemplateToken(token)) return token;
      const op = token.slice(2, -2).toLowerCase();
      if (op === 'name()') return ctx.name;
      if (op === 'subject()') return ctx.subject;
      if (op === 'account-name()') return ctx.accountName;
      if (op === 'account-subject()') return ctx.accountSubject;
      const tagOp = /^(account-)?tag\((.*)\)$/.exec(op);
      if (tagOp !== null) {
        const prefix = `${tagOp[2].toLowerCase()}:`;
        const tags = tagOp[1] !== undefined ? ctx.accountTags : ctx.userTags;
        const values = tags.filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length));
        if (values.length > 0) tagValues.push(values);
        return '';
      }
      return ' '; // unknown template: make the subject invalid on purpose
    });
    if (tagValues.length === 0) {
      emit(expanded.join('.'));
      continue;
    }
    for (const combination of cartesian(tagValues)) {
      let next = 0;
      emit(expanded.map((token) => (token === '' && next < combination.length ? combination[next++] : token)).join('.'));
    }
  }
  return emitted;
}

function cartesian(lists: string[][]): string[][] {
  return lists.reduce<string[][]>((acc, list) => acc.flatMap((prefix) => list.map((v) => [...prefix, v])), [[]]);
}

function addUnique(list: string[] | undefined, value: string): string[] {
  const out = [...(list ?? [])];
  if (!out.includes(value)) out.push(value);
  return out;
}
