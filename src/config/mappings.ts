// Subject mappings (`mappings {}` / `maps {}`, at the top level for the global account $G and inside an account
// of `accounts {}`), read as nats-server's parseAccountMappings reads them: a source subject maps to a
// destination string, to one `{destination, weight, cluster}` entry, or to a list of them. Each mapping is
// checked by the core (native/core/src/mapping.rs, nats-server's AddWeightedMappings) so the error texts are
// nats-server's; the engines apply them (setAccountMappings, installed by the server at start and reload).

import { checkSubjectMapping, isValidSubject } from '../native/index.js';
import { goTypeName, type ConfNode } from './config-syntax.js';
import type { AuthConfig } from '../auth/config.js';

export interface MapDestConfig {
  subject: string;
  /** Percent, 0..100. */
  weight: number;
  /** Scoped to a cluster; Myelin has no cluster name, so such entries are checked and then unused. */
  cluster: string;
}

export interface SubjectMapping {
  src: string;
  dests: MapDestConfig[];
}

/** Where a problem is reported: the node it is about, and nats-server's text. */
export type ReportError = (node: ConfNode, reason: string) => void;

function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** The mappings of one `mappings {}` block, in the order written; problems go to `report`. */
export function parseMappings(node: ConfNode, report: ReportError): SubjectMapping[] {
  const out: SubjectMapping[] = [];
  if (node.kind !== 'map') {
    report(node, `Expected a map of subject mappings, got ${node.kind}`);
    return out;
  }
  for (const [src, child] of node.value) {
    if (!isValidSubject(src)) {
      report(node, `Subject ${goQuote(src)} is not a valid subject`);
      continue;
    }
    let dests: MapDestConfig[];
    if (child.kind === 'string') {
      dests = [{ subject: child.value, weight: 100, cluster: '' }];
      const err = checkSubjectMapping(src, dests);
      if (err !== null) {
        report(child, `Error adding mapping for ${goQuote(src)} to ${goQuote(child.value)} : ${err}`);
        continue;
      }
    } else {
      const entries = child.kind === 'array' ? child.value : [child];
      dests = [];
      for (const entry of entries) {
        const d = parseMapDest(entry, report);
        if (d !== undefined) dests.push(d);
      }
      const err = checkSubjectMapping(src, dests);
      if (err !== null) {
        report(child, `Error adding mapping for ${goQuote(src)} : ${err}`);
        continue;
      }
    }
    out.push({ src, dests });
  }
  return out;
}

/** nats-server's parseAccountMapDest: the first problem is reported and the entry left out. */
function parseMapDest(node: ConfNode, report: ReportError): MapDestConfig | undefined {
  if (node.kind !== 'map') {
    report(node, 'Expected an entry for the mapping destination');
    return undefined;
  }
  const dest: MapDestConfig = { subject: '', weight: 0, cluster: '' };
  let weighted = false;
  for (const [key, child] of node.value) {
    switch (key.toLowerCase()) {
      case 'dest':
      case 'destination':
        if (child.kind !== 'string') {
          report(child, `interface conversion: interface {} is ${goTypeName(child)}, not string`);
          return undefined;
        }
        dest.subject = child.value;
        break;
      case 'weight': {
        let weight: number;
        if (child.kind === 'string') {
          const text = child.value.endsWith('%') ? child.value.slice(0, -1) : child.value;
          if (!/^[+-]?\d+$/.test(text)) {
            report(child, `Invalid weight ${goQuote(text)} for mapping destination`);
            return undefined;
          }
          weight = Number(text);
        } else if (child.kind === 'int') {
          weight = child.value;
        } else {
          report(child, `Unknown entry type for weight of ${String(child.value)}\n`);
          return undefined;
        }
        if (weight > 100 || weight < 0) {
          report(child, `Invalid weight ${weight} for mapping destination`);
          return undefined;
        }
        dest.weight = weight;
        weighted = true;
        break;
      }
      case 'cluster':
        if (child.kind !== 'string') {
          report(child, `interface conversion: interface {} is ${goTypeName(child)}, not string`);
          return undefined;
        }
        dest.cluster = child.value;
        break;
      default:
        report(child, `Unknown field ${goQuote(key)} for mapping destination`);
        return undefined;
    }
  }
  if (!weighted) {
    report(node, `Missing weight for mapping destination ${goQuote(dest.subject)}`);
    return undefined;
  }
  return dest;
}

/**
 * A JWT's `mappings` (`{ [src]: [{subject, weight?, cluster?}] }`, a weight of 0 or none meaning 100), as
 * nats-server adds them from account claims: one it refuses is left out without a word (it ignores the
 * error there).
 */
export function jwtMappings(raw: unknown): SubjectMapping[] {
  const out: SubjectMapping[] = [];
  if (raw === null || typeof raw !== 'object') return out;
  for (const [src, list] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    const dests: MapDestConfig[] = [];
    for (const d of list as { subject?: unknown; weight?: unknown; cluster?: unknown }[]) {
      const weight = typeof d?.weight === 'number' && d.weight > 0 ? d.weight : 100;
      dests.push({
        subject: typeof d?.subject === 'string' ? d.subject : '',
        weight: Math.min(weight, 255),
        cluster: typeof d?.cluster === 'string' ? d.cluster : '',
      });
    }
    if (isValidSubject(src) && checkSubjectMapping(src, dests) === null) out.push({ src, dests });
  }
  return out;
}

/**
 * The JSON for setAccountMappings (native/core/src/mapping.rs MappingsConfig): `$G`'s (top-level) mappings, each
 * configured account's, and each admissible account JWT's. Undefined when there are none.
 */
export function routerMappings(auth: AuthConfig): string | undefined {
  const accounts: [string, SubjectMapping[]][] = [];
  if (auth.mappings?.length) accounts.push(['$G', auth.mappings]);
  for (const a of auth.accounts) if (a.mappings?.length) accounts.push([a.name, a.mappings]);
  const op = auth.operator;
  for (const [key, jwt] of op?.accounts ?? []) {
    // Only accounts a client could be admitted to, as for imports (src/auth/account-imports.ts).
    if (jwt.claims.sub !== key || !op!.trustedKeys.includes(jwt.claims.iss ?? '')) continue;
    const mappings = jwtMappings(jwt.claims.nats?.mappings);
    if (mappings.length > 0) accounts.push([key, mappings]);
  }
  return accounts.length > 0 ? JSON.stringify({ accounts }) : undefined;
}
