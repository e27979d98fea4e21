// planReload: the diff a config reload logs and the refusals it makes, with nats-server's texts and order
// (observed with nats-server 2.12: `Reloaded: …` lines in the order of its Options struct).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planReload, ReloadError } from '../../src/config/reload.js';
import { loadConfigFile } from '../../src/config/config-file.js';
import { buildOptions, type Options } from '../../src/config/options.js';
import { buildAuthConfig } from '../../src/auth/config.js';
import { configFileDigest } from '../../src/config/config-digest.js';

const dir = mkdtempSync(join(tmpdir(), 'myelin-reload-unit-'));
const file = join(dir, 'server.conf');
after(() => rmSync(dir, { recursive: true, force: true }));

/** Start from `before` (with `flags`), then plan a reload to `afterText`. */
function plan(before: string, afterText: string, flags: Partial<Options> = {}) {
  writeFileSync(file, before);
  const loaded = loadConfigFile(file);
  const options = buildOptions(loaded.options, { ...flags, configFile: file });
  const auth = buildAuthConfig(loaded.auth, flags).config;
  writeFileSync(file, afterText);
  return planReload(options, auth, undefined, { ...flags, configFile: file }, options.port);
}

describe('planReload', () => {
  test("changes are listed in nats-server's order and words", () => {
    const p = plan(
      'port: 4300\n',
      'port: 4300\nwrite_deadline: "5s"\nmax_payload: 512KB\nping_interval: "30s"\ndebug: true\nmax_connections: 100\n' +
        `authorization { timeout: 3 }\nmax_control_line: 2048\nping_max: 5\npid_file: "${join(dir, 'x.pid')}"\n`,
    );
    assert.deepEqual(p.changes, [
      'debug = true',
      'max_connections = 100',
      'authorization users',
      'accounts',
      'ping_interval = 30s',
      'ping_max = 5',
      'authorization timeout = 3',
      'max_control_line = 2048',
      'max_payload = 524288',
      `pid_file = ${join(dir, 'x.pid')}`,
      'write_deadline = 5s',
    ]);
    assert.equal(p.loggingChanged, true);
  });

  test('credentials changes are named', () => {
    const p = plan('authorization { user: u, password: p }\n', 'authorization { user: u, password: q }\n');
    assert.deepEqual(p.changes, ['authorization users', 'accounts', 'authorization password']);
    assert.equal(p.loggingChanged, false);
  });

  test('command-line flags still win over the file', () => {
    const p = plan('debug: false\n', 'debug: false\nmax_payload: 1000\n', { debug: true });
    assert.equal(p.options.debug, true);
    assert.deepEqual(p.changes, ['authorization users', 'accounts', 'max_payload = 1000']);
  });

  test("unsupported changes are refused with nats-server's text, the first in field order", () => {
    const refused = (before: string, afterText: string): string => {
      try {
        plan(before, afterText);
      } catch (err) {
        assert.ok(err instanceof ReloadError);
        return err.message;
      }
      return 'accepted';
    };
    assert.equal(refused('port: 4300\n', 'port: 4301\nmax_payload: 10\n'), 'config reload not supported for Port: old=4300, new=4301');
    assert.equal(refused('', 'host: 127.0.0.2\n'), 'config reload not supported for Host: old=0.0.0.0, new=127.0.0.2');
    assert.equal(refused('', 'max_pending: 2000000\n'), 'config reload not supported for MaxPending: old=67108864, new=2000000');
    assert.equal(refused('', 'lame_duck_duration: "1m"\n'), 'config reload not supported for LameDuckDuration: old=2m0s, new=1m0s');
    assert.equal(refused('', 'no_header_support: true\n'), 'config reload not supported for NoHeaderSupport: old=false, new=true');
    assert.match(refused('', 'bogus: 1\n'), /unknown field "bogus"/);
  });

  test("the config digest is nats-server's (values printed by nats-server 2.12 for the same files)", () => {
    writeFileSync(file, 'listen: 127.0.0.1:14555\n');
    assert.equal(configFileDigest(file), 'sha256:c6837d755f115c79ec4cbb03b9e7d0e59803f6b105a02419957600ca842847f4');
    writeFileSync(
      file,
      'listen: 127.0.0.1:14555\nauthorization {\n  users: [\n' +
        '    {user: a, password: a, permissions: {subscribe: ["foo.>", "bar"], publish: ["x.>", "y"]}}\n' +
        '    {user: b, password: b}\n  ]\n}\n',
    );
    assert.equal(configFileDigest(file), 'sha256:f885e895fff7e7d69e7724347bd2e2e3752db5f76785fdcc67b8be02a02b3329');
    writeFileSync(
      file,
      'listen: 127.0.0.1:14555\ndebug: true\nmax_payload: 512KB\nping_interval: "30s"\nwrite_deadline: "5s"\n' +
        'max_connections: 100\nauthorization {\n  users: [\n' +
        '    {user: a, password: a, permissions: {subscribe: ["foo.>"], publish: ["x.>"]}}\n' +
        '    {user: c, password: c}\n  ]\n}\n',
    );
    assert.equal(configFileDigest(file), 'sha256:414cd3d3c1b511c0e9952f674148745493300ddcc073ca452624807db073fb41');
  });

  test('a server started without a config file cannot reload', () => {
    const options = buildOptions({}, {});
    assert.throws(
      () => planReload(options, buildAuthConfig(undefined).config, undefined, {}, 4222),
      /^ReloadError: can only reload config when a file is provided using -c or --config$/,
    );
  });
});
