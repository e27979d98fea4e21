// `myelin archive replay`: republish an archive's messages, in sequence order, into a stream through the
// official client, awaiting every ack. Each message carries `Nats-Msg-Id: <stream>:<seq>` (the original stream
// and sequence), so re-running a replay within the target stream's duplicate_window stores nothing twice.
// The messages get new sequences and timestamps (a stream never reuses either); subject, headers and payload
// are kept, except `Nats-Expected-*` headers, checks the original publish already passed.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type JetStreamManager, type PubAck } from '@nats-io/jetstream';
import { credsAuthenticator, MsgHdrsImpl, type MsgHdrs } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';

import { archivedMessages, readArchiveInfo } from './files.js';

export interface ReplayOptions {
  archive: string;
  server: string;
  stream: string;
  /** Prepended to every subject as its own token(s): `<prefix>.<subject>`. */
  subjectPrefix?: string;
  user?: string;
  password?: string;
  creds?: string;
}

/** Publishes in flight at most: acks come back in order on one connection, so order is kept. */
const WINDOW = 256;

export async function replayArchive(o: ReplayOptions, out: (line: string) => void): Promise<number> {
  const info = readArchiveInfo(o.archive);
  const source = info?.stream ?? basename(o.archive);
  const nc = await connect({
    servers: o.server,
    ...(o.user !== undefined ? { user: o.user, pass: o.password ?? '' } : {}),
    ...(o.creds !== undefined ? { authenticator: credsAuthenticator(readFileSync(o.creds)) } : {}),
  });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, o, info?.subjects);
    const js = jetstream(nc);
    let sent = 0;
    let duplicates = 0;
    let inFlight: Promise<PubAck>[] = [];
    const settle = async (): Promise<void> => {
      for (const ack of await Promise.all(inFlight)) if (ack.duplicate) duplicates++;
      inFlight = [];
    };
    for (const m of archivedMessages(o.archive)) {
      const subject = o.subjectPrefix !== undefined ? `${o.subjectPrefix}.${m.subject}` : m.subject;
      inFlight.push(js.publish(subject, m.msg, { msgID: `${source}:${m.seq}`, headers: replayHeaders(m.hdr) }));
      sent++;
      if (inFlight.length >= WINDOW) await settle();
    }
    await settle();
    out(`replayed ${sent} messages from ${o.archive} into stream ${o.stream} (${sent - duplicates} stored, ${duplicates} duplicates)`);
    return sent;
  } finally {
    await nc.close();
  }
}

/** The original headers minus `Nats-Expected-*` (the client adds Nats-Msg-Id). */
function replayHeaders(raw: Buffer): MsgHdrs | undefined {
  if (raw.length === 0) return undefined;
  const h = MsgHdrsImpl.decode(raw);
  for (const k of h.keys()) if (k.toLowerCase().startsWith('nats-expected-')) h.delete(k);
  return h;
}

/**
 * The target stream, created if missing: capturing `<prefix>.>` with a prefix, else the original stream's
 * subjects (which fails while the original stream still holds them: give a prefix then).
 */
async function ensureStream(jsm: JetStreamManager, o: ReplayOptions, originalSubjects: string[] | undefined): Promise<void> {
  try {
    await jsm.streams.info(o.stream);
    return;
  } catch (e) {
    if (!(e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound)) throw e;
  }
  const subjects = o.subjectPrefix !== undefined ? [`${o.subjectPrefix}.>`] : originalSubjects;
  if (subjects === undefined) throw new Error(`stream ${o.stream} does not exist and the archive names no subjects: create it, or give --subject-prefix`);
  await jsm.streams.add({ name: o.stream, subjects });
}
