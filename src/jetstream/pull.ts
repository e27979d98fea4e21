// Pull requests (`$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>`) and the status messages they end with.
// nats-server's status lines, which clients match exactly:
//   404 No Messages                         no_wait and nothing to deliver
//   408 Request Timeout                     expires reached (or no_wait after a partial batch)
//   409 Message Size Exceeds MaxBytes       the next message does not fit max_bytes
//   409 Exceeded MaxWaiting                 too many waiting requests
//   409 Exceeded MaxRequestBatch of N       batch above the consumer's max_batch
//   409 Consumer Deleted                    the consumer went away
//   100 Idle Heartbeat                      nothing delivered for idle_heartbeat (push.ts's, with the last sequences)
// 408 and 409 (except MaxWaiting) carry Nats-Pending-Messages and Nats-Pending-Bytes: what the request still had.

import { type PullPriority, pullPriorityOf } from './priority.js';
import { headerBlock } from './wire.js';

export interface PullRequest {
  reply: string;
  /** Messages still to deliver. */
  batch: number;
  /** Bytes still allowed; 0 means no limit. */
  maxBytes: number;
  noWait: boolean;
  /** Engine-independent ms deadline; 0 means none. */
  expiresAt: number;
  heartbeatMs: number;
  lastActivityMs: number;
  delivered: number;
  /** The priority-group fields (priority.ts) of a JSON request; undefined for an empty or numeric body. */
  priority?: PullPriority;
}

/** Parse a MSG.NEXT body: empty (batch 1), a number, or JSON. Undefined when malformed. */
export function parsePullRequest(reply: string, body: Buffer, nowMs: number): PullRequest | undefined {
  const s = body.toString('utf8').trim();
  const req: PullRequest = {
    reply,
    batch: 1,
    maxBytes: 0,
    noWait: false,
    expiresAt: 0,
    heartbeatMs: 0,
    lastActivityMs: nowMs,
    delivered: 0,
  };
  if (s === '') return req;
  if (/^\d+$/.test(s)) {
    req.batch = Number(s);
    return req;
  }
  try {
    const j = JSON.parse(s) as {
      batch?: number;
      max_bytes?: number;
      no_wait?: boolean;
      expires?: number;
      idle_heartbeat?: number;
    };
    if (j !== null && typeof j === 'object') req.priority = pullPriorityOf(j as Record<string, unknown>);
    req.batch = typeof j.batch === 'number' && j.batch > 0 ? j.batch : 1;
    req.maxBytes = typeof j.max_bytes === 'number' && j.max_bytes > 0 ? j.max_bytes : 0;
    req.noWait = j.no_wait === true;
    if (typeof j.expires === 'number' && j.expires > 0) req.expiresAt = nowMs + j.expires / 1e6;
    if (typeof j.idle_heartbeat === 'number' && j.idle_heartbeat > 0) req.heartbeatMs = j.idle_heartbeat / 1e6;
    return req;
  } catch {
    return undefined;
  }
}

export function pendingStatus(status: string, r: PullRequest): Buffer {
  return headerBlock(status, [
    ['Nats-Pending-Messages', r.batch],
    ['Nats-Pending-Bytes', r.maxBytes],
  ]);
}

export const NO_MESSAGES = headerBlock('404 No Messages');
export const BAD_REQUEST = headerBlock('400 Bad Request');
export const EXCEEDED_MAX_WAITING = headerBlock('409 Exceeded MaxWaiting');
