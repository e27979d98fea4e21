// Config reload in tests: rewrite the server's config file, signal it, and wait for the outcome line it logs
// (nats-server and Myelin both log `Reloaded server configuration` or `Failed to reload server configuration:
// …`). Works against either server (NATS_SERVER_BIN).

import { writeFileSync } from 'node:fs';

import { checkFor, type ServerHandle } from '../helpers/server.js';

const OUTCOME = /Reloaded server configuration|Failed to reload server configuration: [^\n]*/g;

function outcomes(srv: ServerHandle): string[] {
  return srv.stderr().match(OUTCOME) ?? [];
}

/**
 * Write `config` as the server's config file and send SIGHUP (or run `trigger` instead). Resolves with the
 * outcome line: 'Reloaded server configuration' or 'Failed to reload server configuration: <why>'.
 */
export async function reload(srv: ServerHandle, config: string, trigger?: () => Promise<void>): Promise<string> {
  if (srv.configFile === undefined) throw new Error('server was started without a config file');
  const before = outcomes(srv).length;
  writeFileSync(srv.configFile, config);
  if (trigger !== undefined) await trigger();
  else process.kill(srv.pid, 'SIGHUP');
  const after = await checkFor(10_000, 20, () => {
    const all = outcomes(srv);
    return all.length > before ? all : undefined;
  });
  return after[before]!;
}

/** The log written since `mark` (a length of `srv.stderr()` taken earlier). */
export function logSince(srv: ServerHandle, mark: number): string {
  return srv.stderr().slice(mark);
}
