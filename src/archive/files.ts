// Reading a cold-storage archive folder (written by src/jetstream/cold-storage.ts through the native store):
// `<first_seq>-<last_seq>.blk` files, zero-padded so name order is sequence order, and `archive.json` naming the
// stream they came from. One file is in memory at a time (a file is at most one store block, 8 MiB by default).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ARCHIVE_INFO_FILE, type ArchiveInfo } from '../jetstream/cold-storage.js';
import { readArchiveFile, type StoredMsgJs } from '../native/index.js';

/** The archive's `.blk` files, in sequence order. Throws if the folder does not exist. */
export function archiveFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.blk'))
    .sort();
}

/** Which stream the archive came from; undefined if `archive.json` is missing (an archive copied by hand). */
export function readArchiveInfo(dir: string): ArchiveInfo | undefined {
  const path = join(dir, ARCHIVE_INFO_FILE);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as ArchiveInfo;
}

/**
 * Every archived message in sequence order, each once: files that overlap (an archive run cut by a crash,
 * then redone) repeat messages, which are skipped here as the native replay does.
 */
export function* archivedMessages(dir: string): Generator<StoredMsgJs> {
  let last = 0;
  for (const name of archiveFiles(dir)) {
    for (const m of readArchiveFile(join(dir, name))) {
      if (m.seq <= last) continue;
      last = m.seq;
      yield m;
    }
  }
}
