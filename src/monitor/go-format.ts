// How nats-server's monitoring output looks on the wire, since tools parse it: Go's encoding/json (2-space
// indent, <, > and & escaped), time.Time as RFC 3339 with trailing zeros of the fraction trimmed, Go
// duration strings, nats-server's uptime strings, and the error texts of strconv for bad query parameters.

/** json.MarshalIndent(v, "", "  ") as Go writes it. */
export function goJson(value: unknown, indent = true): string {
  const text = indent ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A time.Time in JSON: UTC, RFC 3339 with the fraction's trailing zeros dropped (RFC3339Nano). */
export function goTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** nats-server's uptime format: "6s", "1m2s", "3h0m1s", "2d3h0m1s", "1y2d3h0m1s". */
export function goUptime(ms: number): string {
  const secs = Math.max(0, Math.floor(ms / 1000));
  const mins = Math.floor(secs / 60);
  const hrs = Math.floor(mins / 60);
  const days = Math.floor(hrs / 24);
  const years = Math.floor(days / 365);
  if (years > 0) return `${years}y${days % 365}d${hrs % 24}h${mins % 60}m${secs % 60}s`;
  if (days > 0) return `${days}d${hrs % 24}h${mins % 60}m${secs % 60}s`;
  if (hrs > 0) return `${hrs}h${mins % 60}m${secs % 60}s`;
  if (mins > 0) return `${mins}m${secs % 60}s`;
  return `${secs}s`;
}

/** Go's time.Duration.String for a duration in milliseconds (e.g. "0s", "1.5ms", "2m0s"). */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const ns = Math.round(ms * 1e6);
  if (ns < 1000) return `${ns}ns`;
  if (ns < 1e6) return `${trimFraction(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trimFraction(ns / 1e6)}ms`;
  let secs = ns / 1e9;
  const h = Math.floor(secs / 3600);
  secs -= h * 3600;
  const m = Math.floor(secs / 60);
  secs -= m * 60;
  const s = `${trimFraction(secs)}s`;
  if (h > 0) return `${h}h${m}m${s}`;
  if (m > 0) return `${m}m${s}`;
  return s;
}

function trimFraction(n: number): string {
  return n.toFixed(9).replace(/\.?0+$/, '');
}

/** A query parameter that does not parse; the message is the 400 body nats-server sends. */
export class QueryError extends Error {
  override name = 'QueryError';
}

/** strconv.ParseBool over `?param=`; absent or empty is false. */
export function decodeBool(query: URLSearchParams, param: string): boolean {
  const text = query.get(param) ?? '';
  if (text === '') return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new QueryError(`Error decoding boolean for '${param}': strconv.ParseBool: parsing ${goQuote(text)}: invalid syntax`);
}

/** strconv.Atoi over `?param=`; absent or empty is 0. */
export function decodeInt(query: URLSearchParams, param: string): number {
  const text = query.get(param) ?? '';
  if (text === '') return 0;
  if (!/^[+-]?[0-9]+$/.test(text)) {
    throw new QueryError(`Error decoding int for '${param}': strconv.Atoi: parsing ${goQuote(text)}: invalid syntax`);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new QueryError(`Error decoding int for '${param}': strconv.Atoi: parsing ${goQuote(text)}: value out of range`);
  }
  return n;
}

/** strconv.ParseUint(text, 10, 64) over `?param=`; absent or empty is 0. */
export function decodeUint(query: URLSearchParams, param: string): number {
  const text = query.get(param) ?? '';
  if (text === '') return 0;
  if (!/^[0-9]+$/.test(text)) {
    throw new QueryError(`Error decoding uint64 for '${param}': strconv.ParseUint: parsing ${goQuote(text)}: invalid syntax`);
  }
  return Number(text);
}

/** Go's %q for the plain strings in these messages. */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}
