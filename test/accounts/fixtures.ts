// Shared configuration of the account import/export tests: EXP exports, IMP imports, OTHER neither.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGo, runServerCommand } from '../helpers/server.js';

export const ACCOUNTS_CONFIG = `
accounts {
  EXP: {
    users: [{user: exp, password: exp}]
    exports: [
      {stream: "pub.>"}
      {stream: "private.>", accounts: [IMP]}
      {service: "svc.echo"}
      {service: "svc.chunks.*", response_type: stream}
      {service: "svc.idle"}
    ]
  }
  IMP: {
    users: [{user: imp, password: imp}]
    imports: [
      {stream: {account: EXP, subject: "pub.>"}, prefix: "from_exp"}
      {stream: {account: EXP, subject: "private.>"}, to: "mine.>"}
      {service: {account: EXP, subject: "svc.echo"}, to: "echo"}
      {service: {account: EXP, subject: "svc.chunks.*"}, to: "chunks.*"}
      {service: {account: EXP, subject: "svc.idle"}, to: "idle"}
    ]
  }
  OTHER: { users: [{user: other, password: other}] }
}
`;

export const EXP = { user: 'exp', pass: 'exp' };
export const IMP = { user: 'imp', pass: 'imp' };
export const OTHER = { user: 'other', pass: 'other' };

/**
 * The thread layouts each suite runs with. Myelin deals connections round-robin over its threads, so with
 * `--workers 2` a test's requester and responder (connected one after the other) land on different threads.
 * nats-server has no such flag: it runs each suite once.
 */
export const LAYOUTS: { name: string; args: string[] }[] = isGo
  ? [{ name: 'nats-server', args: [] }]
  : [
      { name: 'one thread', args: ['--workers', '1'] },
      { name: 'two threads', args: ['--workers', '2'] },
    ];

/** `-t` on a configuration: the server's exit code and what it printed. */
export async function checkConfig(text: string): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-accounts-'));
  try {
    const file = join(dir, 'bad.conf');
    writeFileSync(file, text);
    const r = await runServerCommand(['-t', '-c', file]);
    return { code: r.code, output: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
