// Ack reply subjects and ack bodies.
//
// Every delivered message carries the reply `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts_ns>.<pending>`
// (the 9-token form; clients read the delivery count, both sequences, the time and the pending count from it,
// KV watch in particular reads `<pending>`). The client answers on it with one of the bodies below.

export function ackReply(
  stream: string,
  consumer: string,
  delivered: number,
  sseq: number,
  cseq: number,
  tsNs: bigint,
  pending: number,
): string {
  return `$JS.ACK.${stream}.${consumer}.${delivered}.${sseq}.${cseq}.${tsNs}.${pending}`;
}

/** A plain ack (empty body or `+ACK`): one shared object, none per ack. */
export const PLAIN_ACK: Ack = Object.freeze({ kind: 'ack' });

const DOT = 0x2e;
/** Dot positions of the ack subject being read (module scope: no array per ack). */
const DOTS = new Int32Array(12);

/**
 * An ack subject read from bytes, `buf[start, end)`: where its `<stream>.<consumer>` key lies and its stream
 * sequence, without making a string of the subject (the delivery batch's buffer, valid for the handler call).
 * Undefined when it is not a 9- or 11+-token ack subject.
 */
export function readAckSubject(buf: Buffer, start: number, end: number): { keyStart: number; keyEnd: number; sseq: number } | undefined {
  let n = 0;
  for (let i = start; i < end && n < DOTS.length; i++) if (buf[i] === DOT) DOTS[n++] = i;
  const tokens = n + 1;
  let first: number;
  if (tokens === 9) first = 1;
  else if (tokens >= 11) first = 3;
  else return undefined;
  // Tokens first+1.. : <stream>.<consumer>.<delivered>.<sseq>
  const keyStart = (DOTS[first] as number) + 1;
  const keyEnd = DOTS[first + 2] as number;
  let sseq = 0;
  for (let i = (DOTS[first + 3] as number) + 1; i < (DOTS[first + 4] as number); i++) {
    const d = (buf[i] as number) - 0x30;
    if (d < 0 || d > 9) return undefined;
    sseq = sseq * 10 + d;
  }
  return { keyStart, keyEnd, sseq };
}

/** The ack body at `buf[start, end)`: a plain ack without making a string, anything else parsed. */
export function readAck(buf: Buffer, start: number, end: number): Ack {
  if (end === start) return PLAIN_ACK;
  if (end - start >= 4 && buf[start] === 0x2b && buf[start + 1] === 0x41 && buf[start + 2] === 0x43 && buf[start + 3] === 0x4b) {
    return PLAIN_ACK; // +ACK
  }
  return parseAck(buf.subarray(start, end));
}

export type Ack =
  | { kind: 'ack' }
  | { kind: 'nak'; delayNs: number }
  | { kind: 'progress' }
  | { kind: 'next'; request: string }
  | { kind: 'term'; reason: string };

export function parseAck(body: Buffer): Ack {
  const s = body.toString('utf8');
  if (s === '' || s.startsWith('+ACK')) return PLAIN_ACK;
  if (s.startsWith('-NAK')) {
    let delayNs = 0;
    const rest = s.slice(4).trim();
    if (rest.startsWith('{')) {
      try {
        const j = JSON.parse(rest) as { delay?: number };
        delayNs = typeof j.delay === 'number' ? j.delay : 0;
      } catch {
        delayNs = 0;
      }
    }
    return { kind: 'nak', delayNs };
  }
  if (s.startsWith('+WPI')) return { kind: 'progress' };
  if (s.startsWith('+NXT')) return { kind: 'next', request: s.slice(4).trim() };
  if (s.startsWith('+TERM')) return { kind: 'term', reason: s.slice(5).trim() };
  return PLAIN_ACK;
}
