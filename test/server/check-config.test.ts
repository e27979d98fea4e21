// `-t`: the file is checked as nats-server checks it (its warnings fail the check, the startup limits of
// validateOptions do not apply) and the verdict, with the digest of the parsed configuration, goes to stderr.
// Runs against nats-server too (NATS_SERVER_BIN).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expectedExeName, runServerCommand } from '../helpers/server.js';

describe('-t (check the configuration file)', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-check-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const check = async (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return { file, ...(await runServerCommand(['-t', '-c', file])) };
  };
  const exe = expectedExeName();

  test('a valid file: "is valid (sha256:…)" on stderr, with the digest nats-server computes', async () => {
    // Strings with characters Go's JSON encoder escapes, a size suffix, a duration, nested maps and arrays.
    const text =
      'port: 4333\n' +
      'authorization { users = [ {user: "a<b>&", password: "x\\ty", permissions: {publish: ["x.>", "y"]}} ] }\n' +
      'max_payload: 1MB\nping_interval: "2m"\nserver_name: "é<&>"\nlame_duck_duration: "30s"\n';
    const r = await check('valid.conf', text);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `${exe}: configuration file ${r.file} is valid ` +
        '(sha256:ced5b023884c4aee08549252cf72734d2b180c67e7b00cc2a924fe657ede072f)\n',
    );
  });

  test('limits checked at startup are not checked by -t (max_payload over max_pending)', async () => {
    const r = await check('limits.conf', 'port: 4333\nmax_payload: 100000000\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /is valid \(sha256:[0-9a-f]{64}\)\n$/);
  });

  test('warnings fail the check: an empty file, an unknown field', async () => {
    const empty = await check('empty.conf', '');
    assert.equal(empty.code, 1);
    assert.equal(empty.stderr, `${exe}: ${empty.file}: config has no values or is empty\n\n`);
    // One only: nats-server reports several in map order, which varies.
    const unknown = await check('unknown.conf', 'port: 4333\nfoo_unknown: 1\n');
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, `${exe}: ${unknown.file}:2:1: unknown field "foo_unknown"\n\n`);
  });
});
