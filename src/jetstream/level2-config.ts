// The stream config keys of JetStream API level 2 (nats-server 2.12): `allow_msg_counter`, `allow_atomic`,
// `allow_msg_schedules` and `persist_mode`. Their defaults, the combinations nats-server refuses at create
// (server/stream.go checkStreamCfg) and at update, with its words.

import { fail } from './errors.js';

/** The level 2 keys as nats-server echoes them: the flags only when true, `persist_mode` only when async. */
interface Level2Keys {
  allow_msg_counter?: boolean;
  allow_atomic?: boolean;
  allow_msg_schedules?: boolean;
  persist_mode?: 'async';
}

type Level2Config = Record<string, unknown> &
  Level2Keys & {
    discard: string;
    retention: string;
    storage: string;
    num_replicas: number;
    allow_msg_ttl?: unknown;
    allow_rollup_hdrs: boolean;
    deny_purge: boolean;
  };

/**
 * `persist_mode` is an enum nats-server decodes while reading the request, before any other check: anything
 * but "default", "" or "async" is invalid JSON, worded with the raw JSON value (Go's %q).
 */
export function checkPersistModeJson(raw: Record<string, unknown>): void {
  const v = raw.persist_mode;
  if (v === undefined || v === 'default' || v === '' || v === 'async') return;
  fail('InvalidJSON', { err: `can not unmarshal ${JSON.stringify(JSON.stringify(v))}` });
}

/** Normalize the level 2 keys of a stream config in place and refuse the combinations nats-server refuses. */
export function normalizeLevel2(cfg: Level2Config): void {
  for (const key of ['allow_msg_counter', 'allow_atomic', 'allow_msg_schedules'] as const) {
    if (cfg[key] === true) cfg[key] = true;
    else delete cfg[key];
  }
  if (cfg.persist_mode === 'async') cfg.persist_mode = 'async';
  else delete cfg.persist_mode;
  if (cfg.allow_msg_counter === true) {
    if (cfg.discard === 'new') fail('StreamInvalidConfig', { err: 'counter stream cannot use discard new' });
    if (cfg.allow_msg_ttl === true) fail('StreamInvalidConfig', { err: 'counter stream cannot use message TTLs' });
    if (cfg.allow_msg_schedules === true) {
      fail('StreamInvalidConfig', { err: 'counter stream cannot use message schedules' });
    }
    if (cfg.retention !== 'limits') fail('StreamInvalidConfig', { err: 'counter stream can only use limits retention' });
  }
  if (cfg.allow_msg_schedules === true) {
    if (cfg.discard === 'new') fail('StreamInvalidConfig', { err: 'message scheduling cannot use discard new' });
    // A schedule replaces the previous one on its subject by a rollup, so it needs roll-ups (not pedantic).
    if (!cfg.allow_rollup_hdrs) {
      cfg.allow_rollup_hdrs = true;
      cfg.deny_purge = false;
    }
  }
  if (cfg.persist_mode === 'async') {
    if (cfg.storage !== 'file') {
      fail('StreamInvalidConfig', { err: 'async persist mode is only supported on file storage' });
    }
    if (cfg.num_replicas > 1) {
      fail('StreamInvalidConfig', { err: 'async persist mode is not supported on replicated streams' });
    }
    if (cfg.allow_atomic === true) {
      fail('StreamInvalidConfig', { err: 'async persist mode is not supported with atomic batch publish' });
    }
  }
}

/** What a stream update may not change about the level 2 keys. */
export function checkLevel2Update(old: Level2Keys, cfg: Level2Keys): void {
  if ((cfg.allow_msg_counter === true) !== (old.allow_msg_counter === true)) {
    fail('StreamInvalidConfig', { err: 'stream configuration update can not change message counter setting' });
  }
  if (old.allow_msg_schedules === true && cfg.allow_msg_schedules !== true) {
    fail('StreamInvalidConfig', { err: 'message schedules can not be disabled' });
  }
  if (old.persist_mode !== cfg.persist_mode) {
    fail('StreamInvalidConfig', { err: 'stream configuration update can not change persist mode' });
  }
}
