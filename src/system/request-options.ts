// The body of a `$SYS.REQ.…` request: nats-server's event filter (which servers answer) and the endpoint's
// options in JSON, turned into the query parameters the HTTP endpoints (src/monitor) already decode, so
// both paths run the same code.

import type { MonitorSource } from '../monitor/collect.js';

/** nats-server's EventFilterOptions. */
export interface EventFilter {
  server_name?: string;
  cluster?: string;
  host?: string;
  tags?: string[];
  domain?: string;
  exact_match?: boolean;
}

export type RequestBody = EventFilter & Record<string, unknown>;

/** A body that is not JSON: nats-server answers with a 400 error. */
export class BadRequest extends Error {
  override name = 'BadRequest';
}

/** An empty body is no options at all (and no filter), as in nats-server. */
export function parseBody(body: Buffer): RequestBody | undefined {
  if (body.length === 0) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BadRequest(err instanceof Error ? err.message : String(err));
  }
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new BadRequest('json: cannot unmarshal into the request options');
  return v as RequestBody;
}

/**
 * Whether this server should stay silent: a filter names another server. Names, hosts and clusters match by
 * substring, or exactly with `exact_match`; every tag must be one of the server's; a domain must be ours.
 */
export function filteredOut(source: MonitorSource, f: EventFilter | undefined): boolean {
  if (f === undefined) return false;
  const differs = (want: unknown, have: string): boolean => {
    if (typeof want !== 'string' || want === '') return false;
    return f.exact_match === true ? have !== want : !have.includes(want);
  };
  if (differs(f.server_name, source.identity.serverName)) return true;
  if (differs(f.host, source.options.host)) return true;
  // Myelin is never in a cluster: a cluster filter matches nothing.
  if (differs(f.cluster, '')) return true;
  if (Array.isArray(f.tags) && f.tags.length > 0) return true;
  if (typeof f.domain === 'string' && f.domain !== '') return true;
  return false;
}

/** The query parameters of an HTTP endpoint from a request body's options, per endpoint. */
export function queryFor(endpoint: string, body: RequestBody | undefined): URLSearchParams {
  const q = new URLSearchParams();
  if (body === undefined) return q;
  const set = (param: string, v: unknown): void => {
    if (v === undefined || v === null || v === '' || v === false || v === 0) return;
    q.set(param, Array.isArray(v) ? v.join(',') : String(v));
  };
  switch (endpoint) {
    case 'CONNZ':
      set('sort', body.sort);
      set('auth', body.auth);
      if (body.subscriptions_detail === true) q.set('subs', 'detail');
      else set('subs', body.subscriptions);
      set('offset', body.offset);
      set('limit', body.limit);
      set('cid', body.cid);
      // ConnState in JSON is a number: 0 open, 1 closed, 2 all.
      if (body.state === 1) q.set('state', 'closed');
      else if (body.state === 2) q.set('state', 'all');
      set('user', body.user);
      set('acc', body.acc);
      break;
    case 'SUBSZ':
      set('subs', body.subscriptions);
      set('offset', body.offset);
      set('limit', body.limit);
      set('acc', body.account);
      set('test', body.test);
      break;
    case 'ACCOUNTZ':
      set('acc', body.account);
      break;
    case 'STATZ':
      set('accounts', body.accounts);
      set('unused', body.include_unused);
      break;
    case 'HEALTHZ':
      for (const k of ['js-enabled', 'js-enabled-only', 'js-server-only', 'js-meta-only', 'account', 'stream', 'consumer', 'details']) {
        set(k, body[k]);
      }
      break;
    case 'JSZ':
      set('acc', body.account);
      set('accounts', body.accounts);
      set('streams', body.streams);
      set('consumers', body.consumer);
      set('config', body.config);
      set('leader-only', body.leader_only);
      set('offset', body.offset);
      set('limit', body.limit);
      set('raft', body.raft);
      break;
  }
  return q;
}
