// A publish through the official client with the exact headers a test names, answered with the raw pub ack
// (parsed JSON, or undefined for nats-server's empty ack of a staged batch message). For the level 2
// headers the client has no helper for (Nats-Incr) and for malformed ones it would not send.

import { headers, type NatsConnection } from '@nats-io/transport-node';

export interface RawAck {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  val?: string;
  batch?: string;
  count?: number;
  error?: { code: number; err_code: number; description: string };
}

export async function rawPublish(
  nc: NatsConnection,
  subject: string,
  body: string,
  hdrs: Record<string, string | number> = {},
): Promise<RawAck | undefined> {
  const h = headers();
  for (const [k, v] of Object.entries(hdrs)) h.set(k, String(v));
  const m = await nc.request(subject, body, { headers: Object.keys(hdrs).length > 0 ? h : undefined, timeout: 5000 });
  return m.data.length === 0 ? undefined : (m.json() as RawAck);
}

/** The err_code of a refused publish (fails the test when it was accepted). */
export async function errCode(p: Promise<RawAck | undefined>): Promise<number> {
  const ack = await p;
  if (ack?.error === undefined) throw new Error(`expected an error ack, got ${JSON.stringify(ack)}`);
  return ack.error.err_code;
}

/** Poll `probe` until it returns a value (bounded: `tries` × 50 ms), for effects that happen on a timer. */
export async function eventually<T>(probe: () => Promise<T | undefined>, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not reached');
}
