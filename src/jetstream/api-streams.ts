// Stream API handlers: CREATE, UPDATE, INFO, DELETE, PURGE, NAMES, LIST.

import { subjectsCollide, isValidSubject } from '../native/index.js';
import { type ApiRequest, jsonBody, route } from './api.js';
import { normalizeStreamConfig, sameConfig, type StreamConfig } from './defaults.js';
import { fail } from './errors.js';
import { checkLevel2Update } from './level2-config.js';
import { checkStreamBytes, checkStreamCreate, checkStreamRequest, checkStreamUpdate } from './account-checks.js';
import type { JetStreamService } from './service.js';
import type { Stream } from './stream.js';
import { checkTtlUpdate } from './ttl.js';
import { checkUpstreams } from './upstream-config.js';

const PAGE_NAMES = 1024;
const PAGE_LIST = 256;

export function streamByName(svc: JetStreamService, name: string | undefined): Stream {
  const s = name !== undefined ? svc.streams.get(name) : undefined;
  if (s === undefined) fail('StreamNotFound');
  return s;
}

/** The request's config, filled in; `asSent` checks the body before (nats-server's limit check of a create). */
function configFromRequest(svc: JetStreamService, req: ApiRequest, asSent?: (body: Record<string, unknown>, name: string) => void) {
  const body = jsonBody(req);
  const name = req.tokens[0];
  if (typeof body.name === 'string' && body.name !== name) fail('StreamMismatch');
  asSent?.(body, name ?? '');
  const cfg = normalizeStreamConfig({ ...body, name }, svc.maxPayload);
  checkStreamBytes(svc, cfg);
  for (const subj of cfg.subjects) {
    if (!isValidSubject(subj)) fail('StreamInvalidConfig', { err: 'invalid subject' });
    if (subjectsCollide(subj, '$JS.API.>') && cfg.no_ack !== true) {
      fail('StreamInvalidConfig', { err: 'subjects that overlap with jetstream api require no-ack to be true' });
    }
  }
  return cfg;
}

/** A stream may not ask for more bytes than the server's limit for its storage type. */
function checkResources(svc: JetStreamService, cfg: StreamConfig): void {
  const limit = svc.storageLimit(cfg.storage);
  if (limit > 0 && cfg.max_bytes > limit) {
    fail(cfg.storage === 'memory' ? 'MemoryResourcesExceeded' : 'StorageResourcesExceeded');
  }
}

function checkOverlap(svc: JetStreamService, name: string, subjects: string[]): void {
  for (const other of svc.streams.values()) {
    if (other.name === name) continue;
    for (const a of subjects) for (const b of other.config.subjects) if (subjectsCollide(a, b)) fail('StreamSubjectOverlap');
  }
}

function create(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const cfg = configFromRequest(svc, req, (body, name) => checkStreamRequest(svc, body, name));
  // Before the idempotency check: it fills mirror_direct from the origin, as the stored config has it.
  checkUpstreams(cfg, (n) => svc.streams.get(n)?.config);
  const existing = svc.streams.get(cfg.name);
  if (existing !== undefined) {
    if (!sameConfig(existing.config, cfg)) fail('StreamNameExist');
    return { ...existing.info(), did_create: false };
  }
  checkStreamCreate(svc, cfg);
  checkOverlap(svc, cfg.name, cfg.subjects);
  checkResources(svc, cfg);
  const s = svc.createStream(cfg);
  return { ...s.info(), did_create: true };
}

function update(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const cfg = configFromRequest(svc, req);
  const s = streamByName(svc, cfg.name);
  if (cfg.storage !== s.config.storage) fail('StreamInvalidConfig', { err: 'stream configuration update can not change storage type' });
  if (cfg.retention !== s.config.retention) fail('StreamInvalidConfig', { err: 'stream configuration update can not change retention policy' });
  checkTtlUpdate(s.config, cfg);
  checkLevel2Update(s.config, cfg);
  // A mirror can be removed (the stream is promoted), not changed.
  if (cfg.mirror !== undefined && (s.config.mirror === undefined || !sameConfig(cfg.mirror as object as Record<string, unknown>, s.config.mirror as Record<string, unknown>))) {
    fail('StreamMirrorNotUpdatable');
  }
  checkUpstreams(cfg, (n) => svc.streams.get(n)?.config);
  checkStreamUpdate(svc, s.config, cfg);
  checkOverlap(svc, cfg.name, cfg.subjects);
  checkResources(svc, cfg);
  s.update(cfg);
  svc.feeds.streamUpdated(s);
  svc.saveMeta(s);
  return s.info();
}

function info(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const s = streamByName(svc, req.tokens[0]);
  const body = jsonBody(req);
  const filter = typeof body.subjects_filter === 'string' ? body.subjects_filter : undefined;
  return { total: 0, offset: 0, limit: 0, ...s.info(filter) };
}

function del(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const s = streamByName(svc, req.tokens[0]);
  svc.deleteStream(s);
  return { success: true };
}

function purge(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const s = streamByName(svc, req.tokens[0]);
  if (s.config.deny_purge) fail('StreamPurgeFailed', { err: 'stream purge not permitted' });
  const body = jsonBody(req);
  const filter = typeof body.filter === 'string' ? body.filter : '';
  const seq = typeof body.seq === 'number' ? body.seq : 0;
  const keep = typeof body.keep === 'number' ? body.keep : 0;
  if (seq > 0 && keep > 0) fail('BadRequest');
  const purged = s.store.purge(Buffer.from(filter), seq, keep);
  s.notifyConsumers();
  return { success: true, purged };
}

/** Streams matching the request's optional `subject` filter, sorted by name, from `offset`. */
function selected(svc: JetStreamService, req: ApiRequest): { streams: Stream[]; offset: number; total: number } {
  const body = jsonBody(req);
  const subject = typeof body.subject === 'string' ? body.subject : '';
  const offset = typeof body.offset === 'number' ? body.offset : 0;
  const all = [...svc.streams.values()]
    .filter((s) => subject === '' || s.config.subjects.some((x) => subjectsCollide(x, subject)))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return { streams: all.slice(offset), offset, total: all.length };
}

function names(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const { streams, offset, total } = selected(svc, req);
  return { total, offset, limit: PAGE_NAMES, streams: streams.slice(0, PAGE_NAMES).map((s) => s.name) };
}

function list(svc: JetStreamService, req: ApiRequest): Record<string, unknown> {
  const { streams, offset, total } = selected(svc, req);
  return { total, offset, limit: PAGE_LIST, streams: streams.slice(0, PAGE_LIST).map((s) => s.info()) };
}

export function streamHandlers(): void {
  route('STREAM.CREATE', 'stream_create_response', create);
  route('STREAM.UPDATE', 'stream_update_response', update);
  route('STREAM.INFO', 'stream_info_response', info);
  route('STREAM.DELETE', 'stream_delete_response', del);
  route('STREAM.PURGE', 'stream_purge_response', purge);
  route('STREAM.NAMES', 'stream_names_response', names);
  route('STREAM.LIST', 'stream_list_response', list);
}
