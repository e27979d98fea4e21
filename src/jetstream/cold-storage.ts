// Cold storage: a file stream whose config `metadata` names an archive folder and an age has its sealed
// segments older than that age moved out of the stream into the folder (native/store/src/file/archive.rs),
// checked at startup and then once a minute. The policy lives in `metadata` because nats-server stores and
// returns that map untouched: a stream config key of Myelin's own would be an error in nats-server's dialect.
// `myelin archive list|replay` (src/archive/) reads the folder back.

import { renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parseGoDuration } from '../config/duration.js';
import type { Logger } from '../log.js';
import type { StreamConfig } from './defaults.js';
import type { Stream } from './stream.js';
import { nowNs } from './wire.js';

/** Metadata key: the stream's archive folder (absolute, or relative to the JetStream store_dir). */
export const ARCHIVE_DIR_KEY = 'myelin.archive_dir';
/** Metadata key: a Go duration ("720h"); sealed segments whose messages are all older move out. */
export const ARCHIVE_AGE_KEY = 'myelin.archive_age';
/** Written into the archive folder: which stream the files came from (for `myelin archive`). */
export const ARCHIVE_INFO_FILE = 'archive.json';

/** How often the policy is checked; `MYELIN_ARCHIVE_CHECK_MS` overrides it (tests), not a config key. */
const DEFAULT_CHECK_MS = 60_000;

export interface ArchivePolicy {
  dir: string;
  ageMs: number;
}

export interface ArchiveInfo {
  account: string;
  stream: string;
  subjects: string[];
}

/** The stream's archive policy, undefined without one; throws on a malformed value. */
export function archivePolicy(config: StreamConfig, storeDir: string): ArchivePolicy | undefined {
  const meta = config['metadata'] as Record<string, unknown> | undefined;
  const dir = meta?.[ARCHIVE_DIR_KEY];
  const age = meta?.[ARCHIVE_AGE_KEY];
  if (dir === undefined && age === undefined) return undefined;
  if (typeof dir !== 'string' || dir === '') throw new Error(`${ARCHIVE_AGE_KEY} needs ${ARCHIVE_DIR_KEY} (a folder)`);
  if (typeof age !== 'string') throw new Error(`${ARCHIVE_DIR_KEY} needs ${ARCHIVE_AGE_KEY} (a duration such as "720h")`);
  const ageMs = parseGoDuration(age);
  if (!(ageMs > 0)) throw new Error(`${ARCHIVE_AGE_KEY} must be positive, got "${age}"`);
  return { dir: resolve(storeDir, dir), ageMs };
}

export class ColdStorage {
  private readonly timer: NodeJS.Timeout;
  /** Configs already reported as malformed: one warning per config version, not one per check. */
  private readonly warned = new WeakSet<StreamConfig>();

  constructor(
    private readonly streams: ReadonlyMap<string, Stream>,
    private readonly account: string,
    private readonly storeDir: string,
    private readonly log: Logger,
  ) {
    const ms = Number(process.env['MYELIN_ARCHIVE_CHECK_MS'] ?? DEFAULT_CHECK_MS);
    this.timer = setInterval(() => this.check(), ms > 0 ? ms : DEFAULT_CHECK_MS);
    this.timer.unref();
  }

  /** One native call per stream with a policy whose oldest message is past the age; nothing otherwise. */
  check(): void {
    const now = nowNs();
    for (const s of this.streams.values()) {
      if (s.config.storage !== 'file') continue;
      let policy: ArchivePolicy | undefined;
      try {
        policy = archivePolicy(s.config, this.storeDir);
      } catch (e) {
        if (!this.warned.has(s.config)) this.log.warn(`JetStream: stream '${this.account} > ${s.name}': ${(e as Error).message}, not archiving`);
        this.warned.add(s.config);
        continue;
      }
      if (policy === undefined) continue;
      const cutoff = now - BigInt(Math.round(policy.ageMs * 1e6));
      const before = s.store.state();
      if (before.msgs === 0 || before.firstTsNs >= cutoff) continue;
      this.archive(s, policy, cutoff, before.firstSeq);
    }
  }

  private archive(s: Stream, policy: ArchivePolicy, cutoff: bigint, firstSeq: number): void {
    try {
      const moved = s.store.archiveOlderThan(cutoff, policy.dir);
      if (moved === 0) return;
      this.writeInfo(s, policy.dir);
      const last = s.store.state().firstSeq - 1;
      this.log.info(`JetStream: archived ${moved} messages (sequences ${firstSeq}..${last}) of stream '${this.account} > ${s.name}' to ${policy.dir}`);
      for (const c of s.consumers.values()) c.streamChanged();
    } catch (e) {
      this.log.error(`JetStream: archiving stream '${this.account} > ${s.name}' to ${policy.dir} failed: ${(e as Error).message}`);
    }
  }

  private writeInfo(s: Stream, dir: string): void {
    const info: ArchiveInfo = { account: this.account, stream: s.name, subjects: s.config.subjects };
    const path = join(dir, ARCHIVE_INFO_FILE);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(info, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
