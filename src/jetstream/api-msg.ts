// Reading and deleting single messages: STREAM.MSG.GET (JSON reply with base64 data) and STREAM.MSG.DELETE.
// DIRECT.GET is answered inside the engine, on the thread that receives it (native/store/src/direct_get.rs).

import type { StoredMsgJs } from '../native/index.js';
import { type ApiRequest, jsonBody } from './api.js';
import { streamByName } from './api-streams.js';
import { fail } from './errors.js';
import type { JetStreamService } from './service.js';
import type { Stream } from './stream.js';
import { rfc3339 } from './wire.js';

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
