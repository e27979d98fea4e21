// A client connect, disconnect or authentication failure, as a thread reports it to the system account's
// service on the main thread (plain data: it is posted from worker threads). As in nats-server 2.12, every
// client connection is in an account from the start ($G until it authenticates): each one has a disconnect
// event, one that completes CONNECT a connect event, a failed authentication an auth-error event. A thread
// reports only while a client listens for one of the event's subjects.

import type { ConnRecord } from '../monitor/snapshot.js';

export interface ClientEvent {
  kind: 'connect' | 'disconnect' | 'auth_error';
  /** The connection as /connz reports it; `stop` and `reason` are set on a disconnect or auth error. */
  client: ConnRecord;
}

/** The global account: it has connect/disconnect events but no account connection updates. */
export const GLOBAL_ACCOUNT = '$G';

type Kind = ClientEvent['kind'];

/** Where the advisory itself is published. */
export function clientEventSubject(kind: Kind, account: string, serverId: string): string {
  switch (kind) {
    case 'connect':
      return `$SYS.ACCOUNT.${account}.CONNECT`;
    case 'disconnect':
      return `$SYS.ACCOUNT.${account}.DISCONNECT`;
    case 'auth_error':
      return `$SYS.SERVER.${serverId}.CLIENT.AUTH.ERR`;
  }
}

/** The account connection-count updates a connect or disconnect also causes (old and new subject). */
export function accountConnsSubjects(kind: Kind, account: string): string[] {
  if (kind === 'auth_error' || account === GLOBAL_ACCOUNT) return [];
  return [`$SYS.SERVER.ACCOUNT.${account}.CONNS`, `$SYS.ACCOUNT.${account}.SERVER.CONNS`];
}

/** Every subject the event may be published on: a thread reports it only if one has a listener. */
export function clientEventSubjects(kind: Kind, account: string, serverId: string): string[] {
  return [clientEventSubject(kind, account, serverId), ...accountConnsSubjects(kind, account)];
}
