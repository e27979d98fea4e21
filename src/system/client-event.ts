// A client connect or disconnect, as a thread reports it to the system account's service on the main thread
// (plain data: it is posted from worker threads). Only connections in an account other than $G are
// reported, and only while a client listens for the event's subject, as nats-server publishes them.

import type { ConnRecord } from '../monitor/snapshot.js';

export interface ClientEvent {
  kind: 'connect' | 'disconnect';
  /** The connection as /connz reports it; `stop` and `reason` are set on a disconnect. */
  client: ConnRecord;
}

/** The account nats-server reports no connection events for. */
export const GLOBAL_ACCOUNT = '$G';

/** `$SYS.ACCOUNT.<acc>.CONNECT` or `.DISCONNECT`. */
export function clientEventSubject(kind: ClientEvent['kind'], account: string): string {
  return `$SYS.ACCOUNT.${account}.${kind === 'connect' ? 'CONNECT' : 'DISCONNECT'}`;
}
