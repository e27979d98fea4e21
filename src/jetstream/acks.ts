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

export interface AckTarget {
  stream: string;
  consumer: string;
  delivered: number;
  sseq: number;
  cseq: number;
}

/** Parse an ack subject (9 tokens, or the 12-token form with domain and account hash). */
export function parseAckSubject(subject: string): AckTarget | undefined {
  const t = subject.split('.');
  let i: number;
  if (t.length === 9) i = 2;
  else if (t.length >= 11) i = 4;
  else return undefined;
  return {
    stream: t[i] as string,
    consumer: t[i + 1] as string,
    delivered: Number(t[i + 2]),
    sseq: Number(t[i + 3]),
    cseq: Number(t[i + 4]),
  };
}

export type Ack =
  | { kind: 'ack' }
  | { kind: 'nak'; delayNs: number }
  | { kind: 'progress' }
  | { kind: 'next'; request: string }
  | { kind: 'term'; reason: string };

export function parseAck(body: Buffer): Ack {
  const s = body.toString('utf8');
  if (s === '' || s.startsWith('+ACK')) return { kind: 'ack' };
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
  return { kind: 'ack' };
}
