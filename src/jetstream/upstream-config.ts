// A stream's `mirror` and `sources` configuration, filled and checked as nats-server's checkStreamCfg does:
// the checks that need only the config (`normalizeUpstreams`, from defaults.ts) and those that look at the
// other streams of the account (`checkUpstreams`: origin limits, mirror_direct, cycles).
// Only streams of this server and account are supported: `external` and `subject_transforms` are refused.

import { subjectsCollide } from '../native/index.js';
import type { StreamConfig } from './defaults.js';
import { fail } from './errors.js';

/** nats-server's StreamSource, as it marshals one (empty fields left out). */
export interface StreamSource {
  name: string;
  opt_start_seq?: number;
  opt_start_time?: string;
  filter_subject?: string;
}

const ASSET_NAME_BAD = /[.*>\s/\\\x00-\x1f\x7f]/;

function isValidAssetName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && !ASSET_NAME_BAD.test(name);
}

function refuseUnsupported(raw: Record<string, unknown>, what: string): void {
  if (raw.external !== undefined && raw.external !== null) {
    fail('StreamInvalidConfig', { err: `${what} in another domain or account (external) is not supported by Myelin yet` });
  }
  if (Array.isArray(raw.subject_transforms) && raw.subject_transforms.length > 0) {
    fail('StreamInvalidConfig', { err: `${what} subject transforms are not supported by Myelin yet` });
  }
}

/** The canonical form of one mirror or source entry. */
function source(raw: Record<string, unknown>): StreamSource {
  const out: StreamSource = { name: raw.name as string };
  if (typeof raw.opt_start_seq === 'number' && raw.opt_start_seq > 0) out.opt_start_seq = raw.opt_start_seq;
  if (typeof raw.opt_start_time === 'string' && raw.opt_start_time !== '') out.opt_start_time = raw.opt_start_time;
  if (typeof raw.filter_subject === 'string' && raw.filter_subject !== '') out.filter_subject = raw.filter_subject;
  return out;
}

/** The index name nats-server keys a source by (and writes into Nats-Stream-Source): `name filter dest`. */
export function indexName(src: StreamSource): string {
  return `${src.name} ${src.filter_subject ?? '>'} >`;
}

/** Whether the raw config asks for a mirror or sources (a stream with either needs no subjects of its own). */
export function hasUpstreams(raw: Record<string, unknown>): boolean {
  return (raw.mirror !== undefined && raw.mirror !== null) || (Array.isArray(raw.sources) && raw.sources.length > 0);
}

/** Fill and check `mirror` and `sources` on a config whose subjects are final (empty only with upstreams). */
export function normalizeUpstreams(raw: Record<string, unknown>, cfg: StreamConfig): void {
  const m = raw.mirror as Record<string, unknown> | null | undefined;
  const sources = Array.isArray(raw.sources) ? (raw.sources as (Record<string, unknown> | null)[]) : [];
  if (m !== undefined && m !== null) {
    if (typeof raw.first_seq === 'number' && raw.first_seq > 0) fail('MirrorWithFirstSeq');
    if (cfg.subjects.length > 0) fail('MirrorWithSubjects');
    if (sources.length > 0) fail('MirrorWithSources');
    const transforms = Array.isArray(m.subject_transforms) && m.subject_transforms.length > 0;
    if (typeof m.filter_subject === 'string' && m.filter_subject !== '' && transforms) fail('MirrorMultipleFiltersNotAllowed');
    refuseUnsupported(m, 'mirror');
    if (!isValidAssetName(m.name)) fail('MirrorInvalidStreamName');
    cfg.mirror = source(m);
    // A mirror keeps its origin's messages as they are: no dedup window of its own unless one is asked for.
    if (typeof raw.duplicate_window !== 'number' || raw.duplicate_window <= 0) cfg.duplicate_window = 0;
  } else {
    delete cfg.mirror;
  }
  if (sources.length === 0) {
    delete cfg.sources;
    return;
  }
  const seen = new Set<string>();
  cfg.sources = sources.map((s) => {
    if (s === null || typeof s !== 'object' || !isValidAssetName(s.name)) return fail('SourceInvalidStreamName');
    const out = source(s);
    const iname = indexName(out);
    if (seen.has(iname)) fail('SourceDuplicateDetected');
    seen.add(iname);
    const transforms = Array.isArray(s.subject_transforms) && s.subject_transforms.length > 0;
    if (out.filter_subject !== undefined && transforms) fail('SourceMultipleFiltersNotAllowed');
    refuseUnsupported(s, 'source');
    return out;
  });
}

/** The checks against the account's other streams; sets `mirror_direct` from the origin, as nats-server does. */
export function checkUpstreams(cfg: StreamConfig, streamConfig: (name: string) => StreamConfig | undefined): void {
  const m = cfg.mirror as StreamSource | undefined;
  if (m !== undefined) {
    const origin = streamConfig(m.name);
    if (origin !== undefined) {
      if (cfg.max_msg_size > 0 && origin.max_msg_size > 0 && cfg.max_msg_size < origin.max_msg_size) fail('MirrorMaxMessageSizeTooBig');
      cfg.mirror_direct = origin.allow_direct;
    }
  }
  for (const s of (cfg.sources as StreamSource[] | undefined) ?? []) {
    const origin = streamConfig(s.name);
    if (origin !== undefined && cfg.max_msg_size > 0 && origin.max_msg_size > 0 && cfg.max_msg_size < origin.max_msg_size) {
      fail('SourceMaxMessageSizeTooBig');
    }
  }
  // nats-server's cycle check: walk the streams this one reads from, and theirs.
  const toVisit: StreamConfig[] = [cfg];
  const visited = new Set<string>();
  const overlaps = (subjects: string[], filter: string | undefined) =>
    filter === undefined || subjects.some((s) => subjectsCollide(s, filter));
  for (let c = toVisit.shift(); c !== undefined; c = toVisit.shift()) {
    visited.add(c.name);
    for (const s of (c.sources as StreamSource[] | undefined) ?? []) {
      if (visited.has(s.name)) {
        if (overlaps(c.subjects, s.filter_subject)) fail('StreamInvalidConfig', { err: 'detected cycle' });
      } else {
        const next = streamConfig(s.name);
        if (next !== undefined) toVisit.push(next);
      }
    }
    const cm = c.mirror as StreamSource | undefined;
    if (cm !== undefined) {
      if (visited.has(cm.name)) fail('StreamInvalidConfig', { err: 'detected cycle' });
      const next = streamConfig(cm.name);
      if (next !== undefined) toVisit.push(next);
    }
  }
}

/** A config as nats-server marshals it: no empty `subjects`, no zero `duplicate_window` (a mirror's). */
export function configJson<T extends Record<string, unknown>>(cfg: T): T {
  const subjects = cfg.subjects as unknown[] | undefined;
  if ((subjects === undefined || subjects.length > 0) && cfg.duplicate_window !== 0) return cfg;
  const out: Record<string, unknown> = { ...cfg };
  if (subjects !== undefined && subjects.length === 0) delete out.subjects;
  if (out.duplicate_window === 0) delete out.duplicate_window;
  return out as T;
}
