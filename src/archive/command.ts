// `myelin archive <list|replay>`: the cold-storage tools, dispatched by src/main.ts before nats-server's flag
// parsing (a subcommand nats-server does not have, so it cannot clash with one of its flags).

import { parseArgs } from 'node:util';

import { listArchive } from './list.js';
import { replayArchive } from './replay.js';

export function archiveUsage(exe: string): string {
  return `Usage: ${exe} archive <command> [options]

Commands:
    list   --archive <dir>                 Show the archive's files: sequence ranges, message counts, times
    replay --archive <dir> --stream <name> Republish the archived messages, in order, into a stream
           [--server <url>]                Server to publish to (default nats://127.0.0.1:4222)
           [--subject-prefix <p>]          Publish on <p>.<subject>; a new stream then captures <p>.>
           [--user <u> --password <p>]     Username and password
           [--creds <file>]                Credentials file (JWT and NKey seed)

Archives are written by file streams whose metadata sets myelin.archive_dir and myelin.archive_age.
A missing --stream is created. Each message is published with Nats-Msg-Id <stream>:<seq> (original stream
and sequence), so a replay repeated within the stream's duplicate_window stores nothing twice.`;
}

/** Runs the subcommand; resolves to the process exit code. */
export async function runArchiveCommand(argv: string[], exe: string): Promise<number> {
  const [command, ...rest] = argv;
  const fail = (text: string): number => {
    process.stderr.write(`${exe} archive: ${text}\n`);
    return 1;
  };
  if (command === undefined || command === 'help' || command === '-h' || command === '--help') {
    process.stdout.write(`${archiveUsage(exe)}\n`);
    return command === undefined ? 1 : 0;
  }
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: rest,
      options: {
        archive: { type: 'string' },
        server: { type: 'string' },
        stream: { type: 'string' },
        'subject-prefix': { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        creds: { type: 'string' },
      },
      strict: true,
    }).values as Record<string, string | undefined>;
  } catch (e) {
    return fail((e as Error).message);
  }
  const archive = values['archive'];
  if (archive === undefined) return fail('--archive <dir> is required');
  try {
    if (command === 'list') {
      listArchive(archive, (line) => process.stdout.write(`${line}\n`));
      return 0;
    }
    if (command === 'replay') {
      const stream = values['stream'];
      if (stream === undefined) return fail('--stream <name> is required');
      await replayArchive(
        {
          archive,
          stream,
          server: values['server'] ?? 'nats://127.0.0.1:4222',
          subjectPrefix: values['subject-prefix'],
          user: values['user'],
          password: values['password'],
          creds: values['creds'],
        },
        (line) => process.stdout.write(`${line}\n`),
      );
      return 0;
    }
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  return fail(`unknown command "${command}" (list, replay)`);
}
