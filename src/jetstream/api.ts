// The `$JS.API.>` router: one handler per API subject, each answering with nats-server's JSON (`type`
// plus the fields of the reply, or `error` from errors.ts). Handlers throw JsApiError; the router turns
// it into the reply.

import type { JetStreamService } from './service.js';
import { apiError, fail, JsApiError } from './errors.js';
import { streamHandlers } from './api-streams.js';
import { consumerHandlers } from './api-consumers.js';
import { msgDelete, msgGet } from './api-msg.js';
import { parseHeaders } from './wire.js';
import { API_LEVEL } from './api-level.js';
import { reserved } from './account-checks.js';


const REQUIRED_API_LEVEL_STATUS = Buffer.from('NATS/1.0 412 Required Api Level\r\n\r\n');

/** nats-server parses the header with strconv.Atoi: anything but an integer up to our level is refused. */
export function levelServed(level: string): boolean {
  return /^[+-]?\d+$/.test(level) && Number(level) <= API_LEVEL;
}

export interface ApiRequest {
  /** Tokens after `$JS.API.`. */
  tokens: string[];
  reply: string;
  hdr: Buffer | undefined;
  body: Buffer;
}

/** A handler returns the reply's fields (without `type`), or nothing when it answered itself. */
export type Handler = (svc: JetStreamService, req: ApiRequest) => Record<string, unknown> | undefined;

interface Route {
  /** Fixed tokens after `$JS.API.`. */
  prefix: string[];
  type: string;
  handler: Handler;
}

const ROUTES: Route[] = [];

export function route(prefix: string, type: string, handler: Handler): void {
  ROUTES.push({ prefix: prefix.split('.'), type: `io.nats.jetstream.api.v1.${type}`, handler });
}

/** Parse a JSON request body; empty means `{}`. */
export function jsonBody(req: ApiRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  try {
    const v = JSON.parse(req.body.toString('utf8')) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('InvalidJSON', { err: 'not an object' });
    return v as Record<string, unknown>;
  } catch (e) {
    if (e instanceof JsApiError) throw e;
    fail('InvalidJSON', { err: (e as Error).message });
  }
}

export class JsApi {
  total = 0;
  errors = 0;

  constructor(private readonly svc: JetStreamService) {
    if (ROUTES.length > 0) return;
    streamHandlers();
    consumerHandlers();
    route('STREAM.MSG.GET', 'stream_msg_get_response', msgGet);
    route('STREAM.MSG.DELETE', 'stream_msg_delete_response', msgDelete);
    route('INFO', 'account_info_response', (s) => accountInfo(s, s.api));
  }

  handle(subject: string, reply: string, hdr: Buffer | undefined, body: Buffer): void {
    const tokens = subject.split('.').slice(2);
    const r = this.match(tokens);
    if (r === undefined || reply === '') return;
    this.total++;
    const req: ApiRequest = { tokens: tokens.slice(r.prefix.length), reply, hdr, body };
    let out: Record<string, unknown> | undefined;
    try {
      const level = parseHeaders(hdr).get('nats-required-api-level');
      if (level !== undefined && level !== '' && !levelServed(level)) {
        // A pull request is answered with a status, as its other refusals are (nats-server's consumer.go).
        if (r.type === '') {
          this.errors++;
          this.svc.client.publish(reply, '', REQUIRED_API_LEVEL_STATUS);
          return;
        }
        fail('RequiredApiLevel');
      }
      out = r.handler(this.svc, req);
    } catch (e) {
      this.errors++;
      const error = e instanceof JsApiError ? e.error : apiError('BadRequest');
      if (!(e instanceof JsApiError)) this.svc.logError(e);
      out = { error };
    }
    if (out === undefined) return;
    this.svc.client.publish(reply, '', undefined, JSON.stringify({ type: r.type, ...out }));
  }

  private match(tokens: string[]): Route | undefined {
    let best: Route | undefined;
    for (const r of ROUTES) {
      if (r.prefix.length > tokens.length) continue;
      if (!r.prefix.every((t, i) => tokens[i] === t)) continue;
      if (best === undefined || r.prefix.length > best.prefix.length) best = r;
    }
    return best;
  }
}

function accountInfo(svc: JetStreamService, api: JsApi): Record<string, unknown> {
  let memory = 0;
  let storage = 0;
  let consumers = 0;
  for (const s of svc.streams.values()) {
    const bytes = s.store.state().bytes;
    if (s.config.storage === 'memory') memory += bytes;
    else storage += bytes;
    consumers += s.consumers.size;
  }
  const res = reserved(svc);
  return {
    memory,
    storage,
    reserved_memory: res.memory,
    reserved_storage: res.storage,
    streams: svc.streams.size,
    consumers,
    // The account's own limits (not the server's), flat: nats-server reports `tiers` only for tiered limits.
    limits: { ...svc.limits },
    api: { level: API_LEVEL, total: api.total, errors: api.errors },
  };
}
