// Counter streams (`allow_msg_counter`, nats-server 2.12 / ADR-49): a publish carries `Nats-Incr: <integer>`
// and no payload; the stream stores `{"val":"<sum>"}` on the subject, the sum of every increment so far, as
// an arbitrary-precision decimal string, and acks with that value. The publish keeps its headers as sent.

import type { NativeStoreApi } from '../native/index.js';
import { fail } from './errors.js';
import type { Headers } from './wire.js';

/** Go's big.Int SetString(s, 10): an optional sign and decimal digits, nothing else. */
const INTEGER = /^[+-]?\d+$/;

/** Headers a counter increment may not be combined with (the checks they ask for make no sense on a sum). */
const INCOMPATIBLE = [
  'nats-rollup',
  'nats-expected-stream',
  'nats-expected-last-msg-id',
  'nats-expected-last-subject-sequence-subject',
  'nats-expected-last-sequence',
  'nats-expected-last-subject-sequence',
];

/**
 * The increment a publish asks for, or undefined when it has none; checked in nats-server's order (an
 * unparsable `Nats-Incr` is refused on any stream, a valid one only where counters are allowed).
 */
export function incrementOf(h: Headers, body: Buffer, allowCounter: boolean): bigint | undefined {
  const v = h.get('nats-incr');
  if (v === undefined || v === '') return undefined;
  if (!INTEGER.test(v)) fail('MessageIncrInvalid');
  if (!allowCounter) fail('MessageIncrDisabled');
  if (body.length > 0) fail('MessageIncrPayload');
  if (INCOMPATIBLE.some((name) => h.has(name))) fail('MessageIncrInvalid');
  return BigInt(v);
}

/** The counter's current value on `subject`: the last stored body's `val` (0 for none). */
export function counterValue(store: NativeStoreApi, subject: string): bigint {
  const last = store.loadLast(Buffer.from(subject));
  if (last === null) return 0n;
  let val: unknown;
  try {
    const parsed = JSON.parse(last.msg.toString('utf8')) as unknown;
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) fail('MessageCounterBroken');
    val = (parsed as { val?: unknown } | null)?.val;
  } catch (e) {
    if (e instanceof SyntaxError) fail('MessageCounterBroken');
    throw e;
  }
  if (val === undefined || val === null) return 0n;
  if (typeof val !== 'string') fail('MessageCounterBroken');
  return INTEGER.test(val) ? BigInt(val) : 0n;
}

/** The stored body of a counter at `total`. */
export function counterBody(total: bigint): Buffer {
  return Buffer.from(`{"val":"${total.toString()}"}`);
}
