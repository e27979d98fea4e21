// Consumer pause (JetStream API level 1, nats-server 2.11): config `pause_until`, the
// `$JS.API.CONSUMER.PAUSE.<stream>.<consumer>` request, `paused` / `pause_remaining` in consumer info and the
// `$JS.EVENT.ADVISORY.CONSUMER.PAUSE.<stream>.<consumer>` advisory. A paused consumer delivers nothing (pull
// requests wait, heartbeat and expire as usual) and goes on by itself at `pause_until`, announced by a second
// advisory. The time lives in the consumer config, so a durable's pause survives a restart with its meta file.

import { type ApiRequest, jsonBody } from './api.js';
import { streamByName } from './api-streams.js';
import type { Consumer } from './consumer.js';
import type { ConsumerConfig } from './defaults.js';
import { fail, JsApiError } from './errors.js';
import type { JetStreamService } from './service.js';
import { nowNs, ZERO_TIME } from './wire.js';

/** Go's zero time.Time (0001-01-01T00:00:00Z) in Unix nanoseconds: "not paused". */
const GO_ZERO_NS = -62_135_596_800_000n * 1_000_000n;
const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)$/;

/** Parse an RFC 3339 time as Go's time.Time JSON does; undefined when it is not one. */
function parseRfc3339(s: string): bigint | undefined {
  const m = RFC3339.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m as unknown as string[];
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  // Date.UTC maps years 0-99 to 1900-1999.
  if (Number(y) < 100) ms = new Date(ms).setUTCFullYear(Number(y));
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone?.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(zone?.slice(1, 3)) * 60 + Number(zone?.slice(4, 6))) * 60_000;
  }
  return BigInt(ms) * 1_000_000n + BigInt((frac ?? '').padEnd(9, '0'));
}

/** Go's RFC3339Nano in UTC (trailing zeros of the fraction trimmed), for any time including before 1970. */
export function formatUtc(ns: bigint): string {
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) frac += 1_000_000_000n;
  const secMs = Number((ns - frac) / 1_000_000n);
  const digits = frac.toString().padStart(9, '0').replace(/0+$/, '');
  return new Date(secMs).toISOString().slice(0, 19) + (digits !== '' ? `.${digits}` : '') + 'Z';
}

/**
 * The Unix-ns time of a `pause_until` value from a request (a config or a PAUSE body), or undefined for
 * none: absent, null, empty or Go's zero time. Anything else that is not an RFC 3339 string is invalid JSON
 * to nats-server, which decodes it into a time.Time.
 */
export function pauseTimeOf(v: unknown): bigint | undefined {
  if (v === undefined || v === null) return undefined;
  const ns = typeof v === 'string' ? parseRfc3339(v) : undefined;
  if (ns === undefined) {
    const text = JSON.stringify(v);
    fail('InvalidJSON', { err: `parsing time ${text} as "2006-01-02T15:04:05Z07:00": cannot parse ${text} as "2006"` });
  }
  return ns === GO_ZERO_NS ? undefined : ns;
}

/** Store `pause_until` in UTC, as nats-server does, or drop it when it is unset. */
export function normalizePause(cfg: ConsumerConfig): ConsumerConfig {
  const ns = pauseTimeOf(cfg.pause_until);
  if (ns === undefined) delete cfg.pause_until;
  else cfg.pause_until = formatUtc(ns);
  return cfg;
}

/** `pause_until` of a stored config in Unix ns; undefined when unset. */
function pauseNs(cfg: ConsumerConfig): bigint | undefined {
  return typeof cfg.pause_until === 'string' ? parseRfc3339(cfg.pause_until) : undefined;
}

/** `paused` and `pause_remaining` (ns) for consumer info and the PAUSE reply; empty when not paused. */
export function pauseInfo(cfg: ConsumerConfig): { paused?: boolean; pause_remaining?: number } {
  const until = pauseNs(cfg);
  const remaining = until !== undefined ? until - nowNs() : 0n;
  return remaining > 0n ? { paused: true, pause_remaining: Number(remaining) } : {};
}

/** What the pause advisory says: whether the consumer is paused now, and until when (Go's zero time if never). */
export function pauseAdvisoryFields(cfg: ConsumerConfig): { paused: boolean; pause_until: string } {
  return { paused: pauseInfo(cfg).paused === true, pause_until: (cfg.pause_until as string | undefined) ?? ZERO_TIME };
}

/**
 * A consumer's pause deadline, read once per config change so delivery checks a number, not a string. `armed`
 * stays set from a future deadline until the service tick sees it pass (and the resume advisory goes out).
 */
export class PauseClock {
  private untilMs = 0;
  private armed = false;

  set(cfg: ConsumerConfig, nowMs: number): void {
    const ns = pauseNs(cfg);
    this.untilMs = ns !== undefined ? Number(ns / 1_000_000n) : 0;
    this.armed = this.untilMs > nowMs;
  }

  paused(nowMs: number): boolean {
    return this.armed && nowMs < this.untilMs;
  }

  /** True once, at the first call after the deadline. */
  expired(nowMs: number): boolean {
    if (!this.armed || nowMs < this.untilMs) return false;
    this.armed = false;
    return true;
  }
}

/**
 * `$JS.API.CONSUMER.PAUSE.<stream>.<consumer>`: set or clear `pause_until` (an empty body or the zero time
 * resumes). As in nats-server, a body that is not a JSON object or array means "resume", and an error reply
 * still carries `paused` and `pause_until`.
 */
export function pauseRequest(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  try {
    return pause(svc, req);
  } catch (e) {
    if (!(e instanceof JsApiError)) throw e;
    svc.api.errors++;
    return { error: e.error, paused: false, pause_until: ZERO_TIME };
  }
}

function pause(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const text = req.body.toString('utf8').trim();
  const body = text.startsWith('{') || text.startsWith('[') ? jsonBody(req) : {};
  const until = pauseTimeOf(body.pause_until);
  const s = streamByName(svc, req.tokens[0]);
  const c: Consumer | undefined = s.consumers.get(req.tokens[1] ?? '');
  if (c === undefined) fail('ConsumerNotFound');
  const cfg: ConsumerConfig = { ...c.config };
  if (until === undefined) delete cfg.pause_until;
  else cfg.pause_until = formatUtc(until);
  c.reconfigure(cfg);
  if (cfg.durable_name !== undefined) svc.saveMeta(s);
  return { paused: false, pause_until: cfg.pause_until ?? ZERO_TIME, ...pauseInfo(cfg) };
}
