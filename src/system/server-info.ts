// nats-server's ServerInfo (the `server` block of the messages the server sends) without the per-message
// `seq` and `time`: shared by the system account's events and the data plane's message trace events.

import type { Options } from '../config/options.js';
import type { ServerIdentity } from '../info.js';
import { NATS_SERVER_LEVEL } from '../version.js';

/** nats-server's capability flags with JetStream on (JetStream, binary snapshots, account NRG). */
const JETSTREAM_FLAGS = 7;

export function serverInfoBase(identity: ServerIdentity, o: Options): Record<string, unknown> {
  return {
    name: identity.serverName,
    host: o.host,
    id: identity.serverId,
    ver: NATS_SERVER_LEVEL,
    jetstream: o.jetstream,
    flags: o.jetstream ? JETSTREAM_FLAGS : 0,
  };
}
