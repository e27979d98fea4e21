// A stream's `mirror` and `sources` configuration, filled and checked as nats-server's checkStreamCfg does:
// the checks that need only the config (`normalizeUpstreams`, from defaults.ts) and those that look at the
// other streams of the account (`checkUpstreams`: origin limits, mirror_direct, cycles).
// Only streams of this server and account are supported: `external` is refused.

import { isSubsetMatch, isValidSubject, subjectsCollide, validateSubjectMapping } from '../native/index.js';
import type { StreamConfig } from './defaults.js';
import { fail, type JsErrorName } from './errors.js';
import { SubjectTransform } from './subject-transform.js';

export interface SubjectTransformConfig {
  src: string;
  dest: string;
}

/** nats-server's StreamSource, as it marshals one (empty fields left out). */
export interface StreamSource {
  name: string;
  opt_start_seq?: number;
  opt_start_time?: string;
  filter_subject?: string;
  subject_transforms?: SubjectTransformConfig[];
}

const ASSET_NAME_BAD = /[.*>\s/\\\x00-\x1f\x7f]/;

function isValidAssetName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && !ASSET_NAME_BAD.test(name);
}

function refuseUnsupported(raw: Record<string, unknown>, what: string): void {
  if (raw.external !== undefined && raw.external !== null) {
    fail('StreamInvalidConfig', { err: `${what} in another domain or account (external) is not supported by Myelin yet` });
  }
}

/** nats-server's ValidateMapping, then its transform: the error text for a transform destination, if any. */
function mappingError(src: string, dest: string): string | undefined {
  if (dest === '') return undefined;
  const invalid = validateSubjectMapping(src, dest);
  if (invalid !== null) return invalid;
  const tr = SubjectTransform.build(src, dest);
  return typeof tr === 'string' ? tr : undefined;
}

/** Check and copy `subject_transforms` of a mirror (`overlap`: filters may not collide) or source (nor be subsets). */
function transforms(
  raw: unknown,
  errs: { badSource: JsErrorName; badDest: JsErrorName; overlap: JsErrorName },
  overlaps: (a: string, b: string) => boolean,
): SubjectTransformConfig[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const out = (raw as Record<string, unknown>[]).map((t) => ({
    src: typeof t?.src === 'string' ? t.src : '',
    dest: typeof t?.dest === 'string' ? t.dest : '',
  }));
  for (const t of out) {
    if (t.src !== '' && !isValidSubject(t.src)) fail(errs.badSource, { err: `invalid subject ${t.src}` });
    const why = mappingError(t.src, t.dest);
    if (why !== undefined) fail(errs.badDest, { err: why });
  }
  out.forEach((a, i) => out.forEach((b, j) => i !== j && overlaps(a.src, b.src) && fail(errs.overlap)));
  return out;
}

/** The canonical form of one mirror or source entry. */
function source(raw: Record<string, unknown>, trs: SubjectTransformConfig[] | undefined): StreamSource {
  const out: StreamSource = { name: raw.name as string };
  if (typeof raw.opt_start_seq === 'number' && raw.opt_start_seq > 0) out.opt_start_seq = raw.opt_start_seq;
  if (typeof raw.opt_start_time === 'string' && raw.opt_start_time !== '') out.opt_start_time = raw.opt_start_time;
  if (typeof raw.filter_subject === 'string' && raw.filter_subject !== '') out.filter_subject = raw.filter_subject;
  if (trs !== undefined) out.subject_transforms = trs;
  return out;
}

/**
 * The index name nats-server keys a source by (and writes into Nats-Stream-Source): `name filter dest`, or
 * with subject transforms their sources and destinations each joined by a form feed.
 */
export function indexName(src: StreamSource): string {
  const trs = src.subject_transforms ?? [];
  if (trs.length === 0) return `${src.name} ${src.filter_subject ?? '>'} >`;
  const or = (s: string) => (s === '' ? '>' : s);
  return `${src.name} ${trs.map((t) => or(t.src)).join('\f')} ${trs.map((t) => or(t.dest)).join('\f')}`;
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
    const hasTransforms = Array.isArray(m.subject_transforms) && m.subject_transforms.length > 0;
    if (typeof m.filter_subject === 'string' && m.filter_subject !== '' && hasTransforms) fail('MirrorMultipleFiltersNotAllowed');
    const trs = transforms(
      m.subject_transforms,
      { badSource: 'MirrorInvalidSubjectFilter', badDest: 'MirrorInvalidTransformDestination', overlap: 'MirrorOverlappingSubjectFilters' },
      subjectsCollide,
    );
    refuseUnsupported(m, 'mirror');
    if (!isValidAssetName(m.name)) fail('MirrorInvalidStreamName');
    cfg.mirror = source(m, trs);
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
    const raw = Array.isArray(s.subject_transforms) ? s.subject_transforms : [];
    const out = source(s, raw.length > 0 ? (raw as SubjectTransformConfig[]) : undefined);
    const iname = indexName(out);
    if (seen.has(iname)) fail('SourceDuplicateDetected');
    seen.add(iname);
    if (out.filter_subject !== undefined && raw.length > 0) fail('SourceMultipleFiltersNotAllowed');
    out.subject_transforms = transforms(
      raw,
      { badSource: 'SourceInvalidSubjectFilter', badDest: 'SourceInvalidTransformDestination', overlap: 'SourceOverlappingSubjectFilters' },
      (a, b) => isSubsetMatch(a, b),
    );
    if (out.subject_transforms === undefined) delete out.subject_transforms;
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
