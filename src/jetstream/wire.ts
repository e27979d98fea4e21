// Small wire helpers for JetStream: NATS header blocks, status messages, nanosecond clocks and the
// RFC 3339 timestamps nats-server writes (Go's RFC3339Nano: trailing zeros of the fraction trimmed).

/** Header names are compared case-insensitively; values keep their case. */
export type Headers = Map<string, string>;

const EMPTY: Headers = new Map();

/** Parse a `NATS/1.0…\r\n\r\n` block; the first value of each name wins. */
export function parseHeaders(hdr: Buffer | undefined): Headers {
  if (hdr === undefined || hdr.length === 0) return EMPTY;
  const out: Headers = new Map();
  const lines = hdr.toString('utf8').split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!out.has(name)) out.set(name, line.slice(colon + 1).trim());
  }
  return out;
}

/** A header block with an optional status line (`100 Idle Heartbeat`) and name/value pairs. */
export function headerBlock(status: string, pairs: [string, string | number][] = []): Buffer {
  let s = status !== '' ? `NATS/1.0 ${status}\r\n` : 'NATS/1.0\r\n';
  for (const [k, v] of pairs) s += `${k}: ${v}\r\n`;
  return Buffer.from(s + '\r\n');
}

/** Add headers to an existing block (or start one). */
export function appendHeaders(hdr: Buffer | undefined, pairs: [string, string | number][]): Buffer {
  if (hdr === undefined || hdr.length < 12) return headerBlock('', pairs);
  let add = '';
  for (const [k, v] of pairs) add += `${k}: ${v}\r\n`;
  // Insert before the final blank line.
  return Buffer.concat([hdr.subarray(0, hdr.length - 2), Buffer.from(add), Buffer.from('\r\n')]);
}

/** Remove the named headers (lower-case names) from a block; undefined when nothing but the status is left. */
export function stripHeaders(hdr: Buffer, names: Set<string>): Buffer | undefined {
  const lines = hdr.toString('utf8').split('\r\n');
  const kept = lines.slice(1).filter((l) => {
    const colon = l.indexOf(':');
    return colon > 0 && !names.has(l.slice(0, colon).trim().toLowerCase());
  });
  if (kept.length === 0) return undefined;
  return Buffer.from(`${lines[0]}\r\n${kept.join('\r\n')}\r\n\r\n`);
}

let lastNs = 0n;

/** Unix time in nanoseconds, strictly increasing within this process. */
export function nowNs(): bigint {
  const ms = BigInt(Date.now());
  const sub = process.hrtime.bigint() % 1_000_000n;
  let ns = ms * 1_000_000n + sub;
  if (ns <= lastNs) ns = lastNs + 1n;
  lastNs = ns;
  return ns;
}

/** `count` strictly increasing timestamps at once: returns the first; the others follow it by 1 ns each. */
export function reserveNs(count: number): bigint {
  const first = nowNs();
  lastNs = first + BigInt(count - 1);
  return first;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Go's RFC3339Nano in UTC for a Unix-nanosecond time; the zero time for 0. */
export function rfc3339(ns: bigint): string {
  if (ns === 0n) return ZERO_TIME;
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // 2026-01-02T03:04:05.678Z
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return iso.slice(0, 19) + (frac !== '' ? `.${frac}` : '') + 'Z';
}

/** Parse an RFC 3339 time (as the clients send opt_start_time) to Unix nanoseconds. */
export function parseTime(s: string): bigint {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (m === null) return BigInt(Date.parse(s)) * 1_000_000n;
  const base = Date.parse(`${m[1]}${m[3]}`);
  const frac = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  return BigInt(base) * 1_000_000n + BigInt(frac);
}
