// Raw JetStream helpers for the pause and priority-group suites: a MSG.NEXT request whose replies (messages,
// heartbeats, the final status line) are collected, JSON API requests that return the reply as is, advisories
// awaited with a deadline, and a bounded poll. Nothing here waits without a bound.
import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export interface Pulled {
  /** Every reply in arrival order. */
  msgs: Msg[];
  /**
   * Resolves with the reply that ended the request: the message that completed its batch, or a status other
   * than a `100` heartbeat; undefined after `boundMs`.
   */
  done: Promise<Msg | undefined>;
  stop(): void;
}

/** Whether a reply is a status line (no payload, a status code in its header). */
export function isStatus(m: Msg): boolean {
  return m.data.length === 0 && (m.headers?.code ?? 0) > 0;
}

/** Publish a MSG.NEXT request with `body` and collect its replies until its batch is full, a final status, or `boundMs`. */
export function rawPull(nc: NatsConnection, stream: string, consumer: string, body: unknown, boundMs = 10_000): Pulled {
  const inbox = createInbox();
  const msgs: Msg[] = [];
  const batch = (body as { batch?: number } | undefined)?.batch ?? 1;
  let delivered = 0;
  let finish: (m: Msg | undefined) => void = () => {};
  const done = new Promise<Msg | undefined>((resolve) => (finish = resolve));
  let sub: Subscription | undefined;
  const timer = setTimeout(() => {
    sub?.unsubscribe();
    finish(undefined);
  }, boundMs);
  sub = nc.subscribe(inbox, {
    callback: (_e, m) => {
      msgs.push(m);
      if (!isStatus(m)) delivered++;
      if ((isStatus(m) && m.headers?.code !== 100) || delivered >= batch) {
        clearTimeout(timer);
        sub?.unsubscribe();
        finish(m);
      }
    },
  });
  nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, typeof body === 'string' ? body : JSON.stringify(body), {
    reply: inbox,
  });
  return {
    msgs,
    done,
    stop() {
      clearTimeout(timer);
      sub?.unsubscribe();
      finish(undefined);
    },
  };
}

/** A JSON API request; the parsed reply (with `error` when the server refused). */
export async function api(nc: NatsConnection, subject: string, body?: unknown): Promise<Record<string, unknown>> {
  const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const m = await nc.request(subject, payload, { timeout: 5000 });
  return m.json<Record<string, unknown>>();
}

/** Collects the advisories published on `subject` from now on. */
export class Advisories {
  readonly seen: Record<string, unknown>[] = [];
  private readonly sub: Subscription;

  constructor(nc: NatsConnection, subject: string) {
    this.sub = nc.subscribe(subject, { callback: (_e, m) => void this.seen.push(m.json<Record<string, unknown>>()) });
  }

  /** The first advisory (seen or still to come) that `match` accepts; throws after `boundMs`. */
  async next(match: (a: Record<string, unknown>) => boolean, boundMs = 10_000): Promise<Record<string, unknown>> {
    const found = await until(() => this.seen.find(match), boundMs);
    if (found === undefined) throw new Error('advisory not seen in time');
    return found;
  }

  close(): void {
    this.sub.unsubscribe();
  }
}

/** Poll `f` every 25 ms until it returns something other than undefined/false, at most `boundMs`. */
export async function until<T>(f: () => T | undefined | false | Promise<T | undefined | false>, boundMs = 10_000): Promise<T | undefined> {
  const end = Date.now() + boundMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) return undefined;
    await new Promise((r) => setTimeout(r, 25));
  }
}
