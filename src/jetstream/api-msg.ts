// Reading and deleting single messages: STREAM.MSG.GET (JSON reply with base64 data), STREAM.MSG.DELETE,
// and DIRECT.GET in both forms (`DIRECT.GET.<stream>` with a JSON body, `DIRECT.GET.<stream>.<subject>`
// with an empty one), which answers with the raw message and Nats-Stream/-Subject/-Sequence/-Time-Stamp.

import type { StoredMsgJs } from '../native/index.js';
import { type ApiRequest, jsonBody } from './api.js';
import { streamByName } from './api-streams.js';
import { fail } from './errors.js';
import type { JetStreamService } from './service.js';
import type { Stream } from './stream.js';
import { appendHeaders, headerBlock, rfc3339 } from './wire.js';

function lookup(s: Stream, body: Record<string, unknown>): StoredMsgJs | null {
  const seq = typeof body.seq === 'number' ? body.seq : 0;
  if (typeof body.last_by_subj === 'string') return s.store.loadLast(Buffer.from(body.last_by_subj));
  if (typeof body.next_by_subj === 'string') return s.store.loadNext(Math.max(seq, 1), Buffer.from(body.next_by_subj));
  if (seq > 0) return s.store.load(seq);
  fail('BadRequest');
}

export function msgGet(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const s = streamByName(svc, req.tokens[0]);
  const m = lookup(s, jsonBody(req));
  if (m === null) fail('NoMessageFound');
  const message: Record<string, unknown> = { subject: m.subject, seq: m.seq };
  if (m.hdr.length > 0) message.hdrs = m.hdr.toString('base64');
  if (m.msg.length > 0) message.data = m.msg.toString('base64');
  message.time = rfc3339(m.tsNs);
  return { message };
}

export function msgDelete(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const s = streamByName(svc, req.tokens[0]);
  if (s.config.deny_delete) fail('StreamMsgDeleteFailed', { err: 'message delete not permitted' });
  const seq = jsonBody(req).seq;
  if (typeof seq !== 'number' || !s.store.remove(seq)) fail('StreamMsgDeleteFailed', { err: 'no message found' });
  svc.markWritten(s);
  return { success: true };
}

const NOT_FOUND = headerBlock('404 Message Not Found');
const BAD_REQUEST = headerBlock('408 Bad Request');

export function directGet(svc: JetStreamService, req: ApiRequest): undefined {
  const s = svc.streams.get(req.tokens[0] ?? '');
  if (s === undefined) return undefined;
  let m: StoredMsgJs | null;
  try {
    m = req.tokens.length > 1 ? s.store.loadLast(Buffer.from(req.tokens.slice(1).join('.'))) : lookup(s, jsonBody(req));
  } catch {
    svc.client.publish(req.reply, '', BAD_REQUEST);
    return undefined;
  }
  if (m === null) {
    svc.client.publish(req.reply, '', NOT_FOUND);
    return undefined;
  }
  const hdr = appendHeaders(m.hdr.length > 0 ? m.hdr : undefined, [
    ['Nats-Stream', s.name],
    ['Nats-Subject', m.subject],
    ['Nats-Sequence', m.seq],
    ['Nats-Time-Stamp', rfc3339(m.tsNs)],
  ]);
  svc.client.publish(req.reply, '', hdr, m.msg);
  return undefined;
}
