// Consumer API handlers: CREATE (ephemeral, durable, named and named-with-filter forms), DURABLE.CREATE,
// INFO, DELETE, NAMES, LIST, PAUSE (pause.ts), UNPIN (priority.ts) and MSG.NEXT (pull requests, answered by
// the consumer itself).

import { type ApiRequest, jsonBody, route } from './api.js';
import { checkMaxAckPending, defaultMaxAckPending, maxConsumers } from './account-checks.js';
import { streamByName } from './api-streams.js';
import type { Consumer } from './consumer.js';
import { type ConsumerConfig, normalizeConsumerConfig, sameConfig } from './defaults.js';
import { consumerRequiredLevel, setStaticMetadata } from './versioning.js';
import { fail } from './errors.js';
import { normalizePause, pauseRequest } from './pause.js';
import { normalizePriority, unpinRequest } from './priority.js';
import { randomId, type JetStreamService } from './service.js';
import type { Stream } from './stream.js';

const PAGE_NAMES = 1024;
const PAGE_LIST = 256;
const BAD_NAME = /[.*>\s/\\]/;

function consumerByName(s: Stream, name: string | undefined): Consumer {
  const c = name !== undefined ? s.consumers.get(name) : undefined;
  if (c === undefined) fail('ConsumerNotFound');
  return c;
}

function infoOf(c: Consumer): Record<string, unknown> {
  return c.info();
}

/** CREATE.<stream>[.<name>[.<filter>]] and DURABLE.CREATE.<stream>.<durable>. */
function create(svc: JetStreamService, req: ApiRequest, durableForm: boolean): Record<string, unknown> {
  const s = streamByName(svc, req.tokens[0]);
  const body = jsonBody(req);
  if (typeof body.stream_name === 'string' && body.stream_name !== s.name) fail('StreamMismatch');
  const raw = (body.config ?? {}) as Record<string, unknown>;
  const action = typeof body.action === 'string' ? body.action : '';
  const subjName = req.tokens[1];
  const subjFilter = req.tokens.length > 2 ? req.tokens.slice(2).join('.') : undefined;
  const durable = typeof raw.durable_name === 'string' && raw.durable_name !== '' ? raw.durable_name : undefined;
  let name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : undefined;
  if (durable !== undefined && name !== undefined && durable !== name) fail('ConsumerCreateDurableAndNameMismatch');
  if (durableForm) {
    if (durable === undefined || durable !== subjName) fail('ConsumerDurableNameNotMatchSubject');
  } else if (subjName !== undefined) {
    const given = name ?? durable;
    if (given !== undefined && given !== subjName) fail('ConsumerDurableNameNotMatchSubject');
    name = subjName;
    if (subjFilter !== undefined) {
      const f = raw.filter_subject;
      if (f !== undefined && f !== subjFilter) fail('ConsumerCreateFilterSubjectMismatch');
      raw.filter_subject = subjFilter;
    }
  }
  name = name ?? durable ?? randomId(8);
  if (BAD_NAME.test(name)) fail('ConsumerBadDurableName');
  const sent = { ...raw, name };
  defaultMaxAckPending(svc.limits, sent);
  const filled = normalizePriority(normalizePause(normalizeConsumerConfig(sent)));
  const cfg: ConsumerConfig = setStaticMetadata(filled, consumerRequiredLevel(filled));
  validate(s, cfg);
  checkMaxAckPending(svc.limits, cfg.max_ack_pending);
  const c = createOrUpdate(svc, s, name, cfg, action);
  // nats-server follows every successful create of a paused consumer with a pause advisory.
  setImmediate(() => c.announcePause());
  return infoOf(c);
}

function createOrUpdate(svc: JetStreamService, s: Stream, name: string, requested: ConsumerConfig, action: string): Consumer {
  const existing = s.consumers.get(name);
  let cfg = requested;
  if (existing !== undefined) {
    // As in nats-server, only CONSUMER.PAUSE changes an existing consumer's pause: an update keeps it.
    if (existing.config.pause_until !== undefined) cfg.pause_until = existing.config.pause_until;
    else delete cfg.pause_until;
    cfg = setStaticMetadata(cfg, consumerRequiredLevel(cfg));
    if (sameConfig(existing.config, cfg)) return existing;
    if (action === 'create') fail('ConsumerAlreadyExists');
    if (existing.config.ack_policy !== cfg.ack_policy) fail('ConsumerCreate', { err: 'ack policy can not be updated' });
    if (existing.config.deliver_policy !== cfg.deliver_policy) fail('ConsumerCreate', { err: 'deliver policy can not be updated' });
    existing.reconfigure(cfg);
    svc.saveMeta(s);
    return existing;
  }
  if (action === 'update') fail('ConsumerDoesNotExist');
  const max = maxConsumers(svc.limits, s.config);
  if (max > 0 && s.consumers.size >= max) fail('MaximumConsumersLimit');
  return svc.addConsumer(s, name, cfg);
}

function validate(s: Stream, cfg: ConsumerConfig): void {
  const filtered = (cfg.filter_subject ?? '') !== '' || (cfg.filter_subjects?.length ?? 0) > 0;
  if (cfg.deliver_policy === 'last_per_subject' && !filtered) {
    fail('ConsumerInvalidPolicy', {
      err: 'consumer delivery policy is deliver last per subject, but optional filter subject is not set',
    });
  }
  const deliver = cfg.deliver_subject;
  if (deliver !== undefined && /(^|\.)[*>](\.|$)/.test(deliver)) fail('ConsumerDeliverToWildcards');
  if (s.config.retention === 'workqueue') {
    if (cfg.ack_policy !== 'explicit') fail('ConsumerWQRequiresExplicitAck');
    const unfiltered = (c: ConsumerConfig) => (c.filter_subject ?? '') === '' && (c.filter_subjects?.length ?? 0) === 0;
    if (unfiltered(cfg)) {
      for (const other of s.consumers.values()) {
        if (other.name !== cfg.name && unfiltered(other.config)) fail('ConsumerWQMultipleUnfiltered');
      }
    }
  }
  for (const f of [cfg.filter_subject, ...(cfg.filter_subjects ?? [])]) {
    if (f !== undefined && f !== '' && f !== '>' && !s.coversFilter(f)) {
      fail('ConsumerCreate', { err: 'consumer filter subject is not a valid subset of the interest subjects' });
    }
  }
}

function info(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  return infoOf(consumerByName(streamByName(svc, req.tokens[0]), req.tokens[1]));
}

function del(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const s = streamByName(svc, req.tokens[0]);
  if (!svc.deleteConsumer(s, req.tokens[1] ?? '')) fail('ConsumerNotFound');
  return { success: true };
}

function sorted(svc: JetStreamService, req: ApiRequest): { list: Consumer[]; offset: number; total: number } {
  const s = streamByName(svc, req.tokens[0]);
  const body = jsonBody(req);
  const offset = typeof body.offset === 'number' ? body.offset : 0;
  const all = [...s.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  return { list: all.slice(offset), offset, total: all.length };
}

function names(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const { list, offset, total } = sorted(svc, req);
  return { total, offset, limit: PAGE_NAMES, consumers: list.slice(0, PAGE_NAMES).map((c) => c.name) };
}

function listAll(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const { list, offset, total } = sorted(svc, req);
  return { total, offset, limit: PAGE_LIST, consumers: list.slice(0, PAGE_LIST).map((c) => c.info()) };
}

function next(svc: JetStreamService, req: ApiRequest): undefined {
  const c = svc.streams.get(req.tokens[0] ?? '')?.consumers.get(req.tokens[1] ?? '');
  if (c === undefined) return undefined;
  c.onPullRequest(req.reply, req.body);
  return undefined;
}

export function consumerHandlers(): void {
  route('CONSUMER.CREATE', 'consumer_create_response', (svc, req) => create(svc, req, false));
  route('CONSUMER.DURABLE.CREATE', 'consumer_create_response', (svc, req) => create(svc, req, true));
  route('CONSUMER.INFO', 'consumer_info_response', info);
  route('CONSUMER.DELETE', 'consumer_delete_response', del);
  route('CONSUMER.NAMES', 'consumer_names_response', names);
  route('CONSUMER.LIST', 'consumer_list_response', listAll);
  route('CONSUMER.MSG.NEXT', '', next);
  route('CONSUMER.PAUSE', 'consumer_pause_response', pauseRequest);
  route('CONSUMER.UNPIN', 'consumer_unpin_response', unpinRequest);
}
