// `myelin archive list --archive DIR`: what an archive folder holds, one line per file and a total.

import { join } from 'node:path';

import { rfc3339 } from '../jetstream/wire.js';
import { readArchiveFile } from '../native/index.js';
import { archiveFiles, readArchiveInfo } from './files.js';

export function listArchive(dir: string, out: (line: string) => void): void {
  const info = readArchiveInfo(dir);
  if (info !== undefined) out(`Archive of stream '${info.account} > ${info.stream}' (subjects ${info.subjects.join(', ')})`);
  let msgs = 0;
  let bytes = 0;
  const files = archiveFiles(dir);
  for (const name of files) {
    const all = readArchiveFile(join(dir, name));
    const first = all[0];
    const last = all[all.length - 1];
    if (first === undefined || last === undefined) {
      out(`${name}  empty`);
      continue;
    }
    const size = all.reduce((n, m) => n + m.subject.length + m.hdr.length + m.msg.length, 0);
    out(`${name}  seq ${first.seq}..${last.seq}  ${all.length} msgs  ${size} bytes  ${rfc3339(first.tsNs)} .. ${rfc3339(last.tsNs)}`);
    msgs += all.length;
    bytes += size;
  }
  out(`${files.length} files, ${msgs} messages, ${bytes} bytes`);
}
