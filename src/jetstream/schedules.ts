// Message schedules (`allow_msg_schedules`, nats-server 2.12 / ADR-51). A message with
// `Nats-Schedule: @at <RFC 3339 time>` and `Nats-Schedule-Target: <subject>` is stored on its own (schedule)
// subject, with `Nats-Rollup: sub` added so it replaces the previous schedule there. When the time comes, its
// payload is stored on the target with the schedule's headers removed and `Nats-Scheduler: <schedule subject>`,
// `Nats-Schedule-Next: purge` (and `Nats-TTL` from `Nats-Schedule-TTL`) added; storing that purges the schedule
// subject. Any later message on the schedule subject cancels the schedule. 2.12 knows only `@at` (cron and
// `@every` came with 2.14). Schedules live in the stored messages, so a restart finds them again by a scan.

import { isValidLiteralSubject, subjectsCollide, type NativeStoreApi } from '../native/index.js';
import { fail } from './errors.js';
import { appendHeaders, parseHeaders, type Headers } from './wire.js';

/** nats-server never fires a schedule sooner than this after arming its timer, to spare the ingest path. */
const MIN_FIRE_MS = 250;
const MAX_TIMER_MS = 2 ** 31 - 1;
const NO_FILTER = Buffer.alloc(0);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/;

/** `@at <time>` as Unix milliseconds; undefined when the value is no valid pattern (Go's time.Parse(RFC3339)). */
export function parseSchedule(value: string): number | undefined {
  if (!value.startsWith('@at ')) return undefined;
  const m = RFC3339.exec(value.slice(4));
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || h! > 23 || mi! > 59 || s! > 59) return undefined;
  if (d! > new Date(Date.UTC(y!, mo!, 0)).getUTCDate()) return undefined;
  if (m[9] !== undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return undefined;
  const offsetMin = m[9] === undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  const frac = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) + frac - offsetMin * 60_000;
}

const DURATION_UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DURATION = /^[+-]?((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;
const DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** A per-message TTL as nats-server accepts it: "never", a Go duration of at least 1s, or whole seconds. */
export function validMessageTtl(ttl: string): boolean {
  if (ttl.toLowerCase() === 'never') return true;
  if (ttl === '0' || DURATION.test(ttl)) {
    if (ttl.startsWith('-')) return false;
    let ns = 0;
    for (const p of ttl.matchAll(DURATION_PART)) ns += Number(p[1]) * (DURATION_UNIT_NS[p[2] as string] as number);
    return ns >= 1e9;
  }
  return /^\d+$/.test(ttl);
}

/**
 * The schedule checks of a publish, in nats-server's order; returns the header block to store (with
 * `Nats-Rollup: sub` added to a schedule that has none).
 */
export function checkSchedule(
  cfg: { subjects: string[]; allow_msg_schedules?: boolean; allow_msg_ttl?: unknown },
  subject: string,
  h: Headers,
  hdr: Buffer | undefined,
): Buffer | undefined {
  const allowed = cfg.allow_msg_schedules === true;
  const pattern = h.get('nats-schedule');
  if (pattern !== undefined && pattern !== '') {
    if (!allowed) fail('MessageSchedulesDisabled');
    if (parseSchedule(pattern) === undefined) fail('MessageSchedulesPatternInvalid');
    const ttl = h.get('nats-schedule-ttl') ?? '';
    if (ttl !== '' && !validMessageTtl(ttl)) fail('MessageSchedulesTTLInvalid');
    if (ttl !== '' && cfg.allow_msg_ttl !== true) fail('MessageTTLDisabled');
    const target = h.get('nats-schedule-target') ?? '';
    if (target === '' || !isValidLiteralSubject(target) || subjectsCollide(target, subject)) {
      fail('MessageSchedulesTargetInvalid');
    }
    if (!cfg.subjects.some((s) => subjectsCollide(s, target))) fail('MessageSchedulesTargetInvalid');
    const rollup = h.get('nats-rollup') ?? '';
    if (rollup === '') hdr = appendHeaders(hdr, [['Nats-Rollup', 'sub']]);
    else if (rollup !== 'sub') fail('MessageSchedulesRollupInvalid');
  }
  if (h.get('nats-schedule-next') === 'purge' && !allowed) fail('MessageSchedulesDisabled');
  return hdr;
}

/** Headers of a schedule that do not travel to the message it produces (lower case; `*` ends a prefix). */
const NOT_CARRIED = ['nats-schedule', 'nats-schedule-*', 'nats-expected-*', 'nats-msg-id', 'nats-ttl', 'nats-rollup'];

function carried(name: string): boolean {
  const n = name.toLowerCase();
  return !NOT_CARRIED.some((p) => (p.endsWith('*') ? n.startsWith(p.slice(0, -1)) : n === p));
}

/** The header block of the message a due schedule on `scheduleSubject` produces. */
export function scheduledHeaders(hdr: Buffer, scheduleSubject: string, ttl: string): Buffer {
  const lines = hdr.toString('utf8').split('\r\n');
  const kept = lines.slice(1).filter((l) => {
    const colon = l.indexOf(':');
    return colon > 0 && carried(l.slice(0, colon).trim());
  });
  kept.push(`Nats-Scheduler: ${scheduleSubject}`, 'Nats-Schedule-Next: purge');
  if (ttl !== '') kept.push(`Nats-TTL: ${ttl}`);
  return Buffer.from(`NATS/1.0\r\n${kept.join('\r\n')}\r\n\r\n`);
}

/** What the schedules of a stream need from it. */
export interface ScheduleHost {
  readonly store: NativeStoreApi;
  /** Store a due schedule's message on its target subject, as a publish without a reply would be. */
  storeScheduled(subject: string, hdr: Buffer, body: Buffer): void;
}

/** The pending schedules of one stream (by schedule subject) and the one timer that fires them. */
export class MessageSchedules {
  private readonly pending = new Map<string, { seq: number; atMs: number }>();
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (ms), so that adding a later schedule leaves it alone. */
  private deadline = 0;

  constructor(private readonly host: ScheduleHost) {
    this.restore();
  }

  /** A message was stored on `subject`: it is that subject's schedule now, or it cancels the one there. */
  onStored(seq: number, subject: string, h: Headers): void {
    const pattern = h.get('nats-schedule');
    const atMs = pattern !== undefined ? parseSchedule(pattern) : undefined;
    if (atMs === undefined) {
      this.pending.delete(subject);
      return;
    }
    this.pending.set(subject, { seq, atMs });
    this.arm(atMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.deadline = 0;
  }

  /** After a restart: the schedules still in the stream, each subject's latest message deciding. */
  private restore(): void {
    const store = this.host.store;
    let seq = store.state().firstSeq;
    for (let i = 0; i < 100_000_000; i++) {
      const m = store.loadNext(seq, NO_FILTER);
      if (m === null) break;
      seq = m.seq + 1;
      if (m.hdr.length > 0) this.onStored(m.seq, m.subject, parseHeaders(m.hdr));
      else this.pending.delete(m.subject);
    }
  }

  private arm(atMs: number): void {
    const now = Date.now();
    // Node's timers take at most ~24.8 days; a later schedule re-arms when that one fires.
    const fireAt = Math.min(Math.max(atMs, now + MIN_FIRE_MS), now + MAX_TIMER_MS);
    if (this.timer !== undefined && this.deadline <= fireAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.deadline = fireAt;
    this.timer = setTimeout(() => this.fire(), fireAt - now);
    this.timer.unref();
  }

  /** Store every due schedule's message on its target, in stream order, then arm for the next one. */
  private fire(): void {
    this.timer = undefined;
    this.deadline = 0;
    const now = Date.now();
    const due: { subject: string; seq: number }[] = [];
    let next = Infinity;
    for (const [subject, p] of this.pending) {
      if (p.atMs <= now) due.push({ subject, seq: p.seq });
      else next = Math.min(next, p.atMs);
    }
    due.sort((a, b) => a.seq - b.seq);
    for (const d of due) {
      this.pending.delete(d.subject);
      const m = this.host.store.load(d.seq);
      if (m === null || m.subject !== d.subject) continue;
      const h = parseHeaders(m.hdr);
      const ttl = h.get('nats-schedule-ttl') ?? '';
      const target = h.get('nats-schedule-target') ?? '';
      if ((ttl !== '' && !validMessageTtl(ttl)) || target === '') continue;
      this.host.storeScheduled(target, scheduledHeaders(m.hdr, d.subject, ttl), m.msg);
    }
    if (next !== Infinity) this.arm(next);
  }
}
