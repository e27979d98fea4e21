// Account exports and imports on the control plane: the checks nats-server makes when it adds each import
// at startup (server/opts.go parseAccounts, then accounts.go addStreamImportWithClaim,
// addMappedStreamImportWithClaim, addServiceImportWithClaim, the import cycle searches and the strict import
// subject transform), and the tables handed to the Rust router once (native/core/src/imports.rs), which
// routes the messages.
//
// nats-server adds every stream import, then every service import, each checked against the ones added
// before it: so a cycle is reported on the import that closes it.

import type { AccountConfig, AccountExport, AccountImport, AuthConfig, ServiceImport, StreamImport } from './config.js';
import type { AccountClaims } from './jwt.js';
import { hasWildcard, isSubsetMatch, isValidSubject, subjectsCollide } from '../native/index.js';

// auth/config.ts re-exports it from here.
export { isSubsetMatch };

/** The tables for setAccountImports (JSON), as native/core/src/imports.rs reads them. */
export interface ImportTables {
  /** `allowTrace`: the import's `allow_trace` (message tracing goes on past it). */
  streams: { exporter: string; importer: string; from: string; to: string; allowTrace?: boolean }[];
  services: {
    importer: string;
    exporter: string;
    from: string;
    to: string;
    response: 'singleton' | 'stream' | 'chunked';
    thresholdMs?: number;
    /** The export's `allow_trace`. */
    allowTrace?: boolean;
  }[];
  /** Accounts' `msg_trace` destinations for sampled `traceparent` messages (absent when none is set). */
  traceDests?: { account: string; dest: string; sampling: number }[];
}

/** Is `importer` allowed to import `subject` of this type from `exporter` (checkStreamExportApproved & co)? */
export function importAuthorized(exporter: AccountConfig, importer: string, type: 'stream' | 'service', subject: string): boolean {
  for (const exp of exporter.exports) {
    if (exp.type !== type) continue;
    if (!isSubsetMatch(subject, exp.subject)) continue;
    if (exp.accounts !== undefined && exp.accounts.length > 0 && !exp.accounts.includes(importer)) continue;
    if (exp.accountTokenPosition !== undefined && exp.accountTokenPosition > 0) {
      const tokens = subject.split('.');
      if (tokens[exp.accountTokenPosition - 1] !== importer) continue;
    }
    return true;
  }
  return false;
}

/** Where a stream import delivers: `prefix.subject`, or `to`, or the subject itself. */
export function streamImportTarget(imp: StreamImport): string {
  if (imp.prefix !== undefined && imp.prefix !== '') return imp.prefix.endsWith('.') ? imp.prefix + imp.subject : `${imp.prefix}.${imp.subject}`;
  return imp.to ?? imp.subject;
}

/** nats-server's transformTokenize: each `*` becomes `$1`, `$2`, ... in order. */
function transformTokenize(subject: string): string {
  let n = 0;
  return subject
    .split('.')
    .map((t) => (t === '*' ? `$${++n}` : t))
    .join('.');
}

/** The wildcard index a destination token names (`$N` or `{{wildcard(N)}}`), if it is a placeholder. */
function placeholder(token: string): number | undefined {
  const m = /^\$(\d+)$/.exec(token) ?? /^\{\{\s*wildcard\s*\(\s*(\d+)\s*\)\s*\}\}$/i.exec(token);
  return m !== null ? Number(m[1]) : undefined;
}

/** nats-server's NewSubjectTransformStrict validation (imports must be reversible): the error text, if any. */
export function importTransformError(src: string, dest: string): string | undefined {
  const stoks = src.split('.');
  const dtoks = dest.split('.');
  const npwcs = stoks.filter((t) => t === '*').length;
  const srcFwc = stoks[stoks.length - 1] === '>';
  const destFwc = dtoks[dtoks.length - 1] === '>';
  if (!isValidSubject(src) || !isValidSubject(dest) || dtoks.includes('*') || srcFwc !== destFwc) return 'invalid subject';
  if (npwcs > 0 || srcFwc) {
    let used = 0;
    for (const token of dtoks) {
      const n = placeholder(token);
      if (n === undefined) continue;
      used++;
      if (n > npwcs) return `invalid mapping destination: wildcard index out of range in ${token}: [${n}]`;
    }
    if (used < npwcs) return `invalid mapping destination: not using all of the token wildcard(s) in ${dest}`;
    return undefined;
  }
  const bad = dtoks.find((t) => placeholder(t) !== undefined);
  return bad !== undefined ? `invalid mapping destination: wildcard index out of range in ${bad}` : undefined;
}

/** An import as added so far: `acc` is the exporter, `from` the importer-side subject for services. */
interface Added {
  acc: string;
  from: string;
  to: string;
}

/** What adding the imports gave: nats-server's error messages, in its order, and the imports that were added. */
export interface AddedImports {
  errors: string[];
  added: Set<AccountImport>;
}

/**
 * Add every import the way nats-server does: stream imports first, then service imports. In a config file
 * every error is fatal (reported at the `accounts` block); from account JWTs a failed import is skipped.
 */
export function addImports(accounts: AccountConfig[]): AddedImports {
  const added = new Set<AccountImport>();
  const byName = new Map(accounts.map((a) => [a.name, a]));
  const streams = new Map<string, Added[]>(accounts.map((a) => [a.name, []]));
  const services = new Map<string, Added[]>(accounts.map((a) => [a.name, []]));
  const errors: string[] = [];
  const streamCycle = (acc: string, to: string, visited: Set<string>): boolean => {
    const account = byName.get(acc);
    if (account === undefined || visited.size >= 1024) return false;
    if (!account.exports.some((e) => e.type === 'stream' && isSubsetMatch(to, e.subject))) return false;
    for (const si of streams.get(acc) ?? []) {
      if (!subjectsCollide(to, si.to)) continue;
      if (visited.has(si.acc)) return true;
      visited.add(acc);
      if (streamCycle(si.acc, isSubsetMatch(si.to, to) ? si.to : to, visited)) return true;
    }
    return false;
  };
  const serviceCycle = (acc: string, from: string, visited: Set<string>): boolean => {
    if (visited.size >= 1024) return false;
    for (const si of services.get(acc) ?? []) {
      if (!subjectsCollide(from, si.to)) continue;
      if (visited.has(si.acc)) return true;
      visited.add(acc);
      if (serviceCycle(si.acc, isSubsetMatch(si.from, from) ? si.from : from, visited)) return true;
    }
    return false;
  };

  for (const account of accounts) {
    for (const imp of account.imports) {
      if (imp.type !== 'stream') continue;
      const err = addStream(account.name, imp);
      if (err !== undefined) errors.push(err);
      else added.add(imp);
    }
  }
  for (const account of accounts) {
    for (const imp of account.imports) {
      if (imp.type !== 'service') continue;
      const err = addService(account.name, imp);
      if (err !== undefined) errors.push(err);
      else added.add(imp);
    }
  }
  return { errors, added };

  function addStream(importer: string, imp: StreamImport): string | undefined {
    const exporter = byName.get(imp.account);
    if (exporter === undefined) return `${JSON.stringify(imp.account)} account not defined for stream import`;
    const fail = (why: string): string => `Error adding stream import ${JSON.stringify(imp.subject)}: ${why}`;
    if (!isValidSubject(imp.subject) || !importAuthorized(exporter, importer, 'stream', imp.subject)) return fail('stream import not authorized');
    if (imp.prefix !== undefined && imp.prefix !== '' && hasWildcard(imp.prefix)) return fail('stream import prefix can not contain wildcard tokens');
    const from = imp.subject;
    const to = streamImportTarget(imp);
    if (streamCycle(exporter.name, to, new Set([importer])) || streamCycle(exporter.name, from, new Set([importer]))) {
      return fail('import forms a cycle');
    }
    if (hasWildcard(from) && to !== from) {
      const why = importTransformError(from, transformTokenize(to));
      if (why !== undefined) return fail(`failed to create mapping transform for stream import subject from ${JSON.stringify(from)} to ${JSON.stringify(to)}: ${why}`);
    }
    const added = streams.get(importer)!;
    if (added.some((si) => si.acc === exporter.name && si.from === from)) return fail('stream import already exists');
    added.push({ acc: exporter.name, from, to });
    return undefined;
  }

  function addService(importer: string, imp: ServiceImport): string | undefined {
    const exporter = byName.get(imp.account);
    if (exporter === undefined) return `${JSON.stringify(imp.account)} account not defined for service import`;
    const fail = (why: string): string => `Error adding service import ${JSON.stringify(imp.subject)}: ${why}`;
    // nats-server's from/to: `from` is the importer's subject, `to` the exporter's.
    const from = imp.to;
    const to = imp.subject;
    if (!isValidSubject(from) || !isValidSubject(to)) return fail('invalid subject');
    if (!importAuthorized(exporter, importer, 'service', to)) return fail('service import not authorized');
    const fromT = hasWildcard(to) ? from.replace(/(^|\.)\$\d+(?=\.|$)/g, '$1*') : from;
    if (serviceCycle(exporter.name, fromT, new Set([importer]))) return fail('import forms a cycle');
    if (hasWildcard(to) && to !== from) {
      const why = importTransformError(to, transformTokenize(from));
      if (why !== undefined) return fail(`failed to create mapping transform for service import subject from ${JSON.stringify(from)} to ${JSON.stringify(to)}: ${why}`);
    }
    services.get(importer)!.push({ acc: exporter.name, from, to });
    return undefined;
  }
}

/** The router's tables for the imports in `added`. */
export function importTables(accounts: AccountConfig[], added: Set<AccountImport>): ImportTables {
  const byName = new Map(accounts.map((a) => [a.name, a]));
  const tables: ImportTables = { streams: [], services: [] };
  for (const account of accounts) {
    for (const imp of account.imports) {
      const exporter = byName.get(imp.account);
      if (exporter === undefined || !added.has(imp)) continue;
      if (imp.type === 'stream') {
        const entry: ImportTables['streams'][number] = { exporter: exporter.name, importer: account.name, from: imp.subject, to: streamImportTarget(imp) };
        if (imp.allowTrace === true) entry.allowTrace = true;
        tables.streams.push(entry);
        continue;
      }
      // The export that serves it decides the response type and threshold: an exact subject first.
      const exports = exporter.exports.filter((e) => e.type === 'service');
      const exp = exports.find((e) => e.subject === imp.subject) ?? exports.find((e) => isSubsetMatch(imp.subject, e.subject));
      const entry: ImportTables['services'][number] = {
        importer: account.name,
        exporter: exporter.name,
        from: imp.to,
        to: imp.subject,
        response: exp?.type === 'service' ? exp.responseType : 'singleton',
      };
      if (exp?.type === 'service' && exp.responseThresholdMs !== undefined) entry.thresholdMs = exp.responseThresholdMs;
      if (exp?.type === 'service' && exp.allowTrace === true) entry.allowTrace = true;
      tables.services.push(entry);
    }
  }
  for (const account of accounts) {
    if (account.traceDest === undefined) continue;
    (tables.traceDests ??= []).push({ account: account.name, dest: account.traceDest, sampling: account.traceSampling ?? 100 });
  }
  return tables;
}

/**
 * An account JWT's exports and imports in the config file's terms (nats-server's
 * updateAccountClaimsWithRefresh). The router names a JWT account by its public key. Exports that require an
 * activation token (`token_req`) are left out: Myelin does not check activation tokens yet, so nothing may
 * import them.
 */
export function accountFromJwt(key: string, claims: AccountClaims): AccountConfig {
  const exports: AccountExport[] = [];
  const imports: AccountImport[] = [];
  for (const raw of claims.nats?.exports ?? []) {
    const e = raw as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || typeof e.subject !== 'string' || e.token_req === true) continue;
    const position = typeof e.account_token_position === 'number' && e.account_token_position > 0 ? { accountTokenPosition: e.account_token_position } : {};
    if (e.type === 'stream') exports.push({ type: 'stream', subject: e.subject, ...position });
    if (e.type === 'service') {
      const rt = e.response_type === 'Stream' ? 'stream' : e.response_type === 'Chunked' ? 'chunked' : 'singleton';
      // A Go time.Duration: nanoseconds.
      const threshold = typeof e.response_threshold === 'number' && e.response_threshold > 0 ? { responseThresholdMs: Math.ceil(e.response_threshold / 1e6) } : {};
      const allowTrace = e.allow_trace === true ? { allowTrace: true } : {};
      exports.push({ type: 'service', subject: e.subject, responseType: rt, ...threshold, ...position, ...allowTrace });
    }
  }
  for (const raw of claims.nats?.imports ?? []) {
    const i = raw as Record<string, unknown>;
    if (typeof i !== 'object' || i === null || typeof i.subject !== 'string' || typeof i.account !== 'string') continue;
    const local = typeof i.local_subject === 'string' && i.local_subject !== '' ? i.local_subject : undefined;
    const to = typeof i.to === 'string' && i.to !== '' ? i.to : undefined;
    if (i.type === 'stream') {
      // `local_subject` maps; the deprecated `to` is a prefix.
      const where = local !== undefined ? { to: local } : to !== undefined ? { prefix: to } : {};
      imports.push({ type: 'stream', account: i.account, subject: i.subject, ...where, ...(i.allow_trace === true ? { allowTrace: true } : {}) });
    }
    if (i.type === 'service') {
      // `subject` is the importer's side unless `local_subject` is set; the deprecated `to` is the exporter's.
      const share = i.share === true;
      if (local !== undefined) imports.push({ type: 'service', account: i.account, subject: i.subject, to: local, share });
      else imports.push({ type: 'service', account: i.account, subject: to ?? i.subject, to: i.subject, share });
    }
  }
  const account: AccountConfig = { name: key, exports, imports };
  // nats-server's account `trace` claim: a valid publish subject, sampling 100 unless 1..100.
  const trace = claims.nats?.trace as { dest?: unknown; sampling?: unknown } | undefined;
  if (typeof trace?.dest === 'string' && isValidSubject(trace.dest) && !hasWildcard(trace.dest)) {
    account.traceDest = trace.dest;
    const sampling = typeof trace.sampling === 'number' ? trace.sampling : 0;
    account.traceSampling = sampling > 0 && sampling <= 100 ? sampling : 100;
  }
  return account;
}

/**
 * The JSON for setAccountImports (undefined when no account imports anything), and the JWT imports that
 * could not be added (nats-server logs those at debug level and carries on).
 */
export function routerImports(auth: AuthConfig): { json?: string; skipped: string[] } {
  const accounts = [...auth.accounts];
  const op = auth.operator;
  for (const [key, jwt] of op?.accounts ?? []) {
    // Only accounts a client could be admitted to (the authenticator's check): the JWT names the account
    // it is preloaded under and is signed by a trusted key.
    if (jwt.claims.sub === key && op!.trustedKeys.includes(jwt.claims.iss ?? '')) accounts.push(accountFromJwt(key, jwt.claims));
  }
  const { errors, added } = addImports(accounts);
  const tables = importTables(accounts, added);
  // Config-file import errors stopped startup already, so what is left comes from account JWTs.
  const skipped = errors;
  if (tables.streams.length === 0 && tables.services.length === 0 && tables.traceDests === undefined) return { skipped };
  return { json: JSON.stringify(tables), skipped };
}
