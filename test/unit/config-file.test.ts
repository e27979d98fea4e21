// Configuration file syntax (nats-server's conf language) and its mapping onto Options.
// Expected texts were checked against nats-server 2.12.15 (`nats-server -c file -t`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  applyConfig,
  ConfigError,
  ConfigProcessError,
  confToPlain,
  loadConfigFile,
  parseConfigText,
} from '../../src/config/config-file.js';
import type { ConfigEnvironment } from '../../src/config/config-file.js';

const NO_ENV: ConfigEnvironment = {};

function plain(text: string, env: ConfigEnvironment = NO_ENV): Record<string, unknown> {
  return confToPlain(parseConfigText(text, { file: 'test.conf', env }));
}

function syntaxError(text: string, env: ConfigEnvironment = NO_ENV): ConfigError {
  try {
    parseConfigText(text, { file: 'test.conf', env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

/** Options from configuration text, or the error text nats-server would print. */
function apply(text: string, env: ConfigEnvironment = NO_ENV): ReturnType<typeof applyConfig> {
  return applyConfig(parseConfigText(text, { file: 'test.conf', env }), 'test.conf');
}

function applyError(text: string): ConfigProcessError {
  try {
    apply(text);
  } catch (err) {
    assert.ok(err instanceof ConfigProcessError, `expected ConfigProcessError, got ${String(err)}`);
    return err;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

function withTempDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-conf-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- syntax ----------------------------------------------------------------------------------

test('key/value separators: =, : and whitespace', () => {
  assert.deepEqual(plain('a = 1\nb: 2\nc 3\nd=4;e:5, f 6'), { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 });
  assert.deepEqual(plain('a\n= 1'), { a: 1 }); // blanks (even newlines) may precede the separator
  assert.equal(syntaxError('a =\n 1').message, "Parse error on line 2: 'Expected value but found new line'");
});

test('comments with # and //, anywhere a value may end', () => {
  assert.deepEqual(plain('# top\na = 1 # trailing\n// slashes\nb = 2 // trailing\nc { d = 3 # in map\n}'), {
    a: 1,
    b: 2,
    c: { d: 3 },
  });
  assert.deepEqual(plain('a = [ # in array\n 1, // more\n 2 ]'), { a: [1, 2] });
  // '#' inside an unquoted word is part of it, as in nats-server.
  assert.deepEqual(plain('a = b#c'), { a: 'b#c' });
});

test('maps and arrays, nested, with or without separators', () => {
  const text = `
    cluster {
      name: "c1"
      routes = [
        nats://a:6222
        nats://b:6222
      ]
      tls { timeout: 2; verify: true }
    }
    list: [1, 2.5, "x", true, { k: v }, [ 3 ] ]
  `;
  assert.deepEqual(plain(text), {
    cluster: { name: 'c1', routes: ['nats://a:6222', 'nats://b:6222'], tls: { timeout: 2, verify: true } },
    list: [1, 2.5, 'x', true, { k: 'v' }, [3]],
  });
  assert.deepEqual(plain('a = [1, 2, ]'), { a: [1, 2] }); // trailing comma allowed
  assert.deepEqual(plain('a {}\nb = []'), { a: {}, b: [] });
});

test('whole file wrapped in braces, JSON style', () => {
  assert.deepEqual(plain('{\n  "port": 4222,\n  "debug": true,\n  "tags": ["a", "b"]\n}\n'), {
    port: 4222,
    debug: true,
    tags: ['a', 'b'],
  });
});

test('strings: quoted, single-quoted, bare, escapes, blocks', () => {
  assert.deepEqual(plain(`a = "x y"\nb = 'raw \\n'\nc = bare-word.x:1\nd = "tab\\tq\\"\\\\\\x41\\xc3\\xa9"`), {
    a: 'x y',
    b: 'raw \\n',
    c: 'bare-word.x:1',
    d: 'tab\tq"\\A\u00e9',
  });
  assert.deepEqual(plain('url = nats://user:pw@host:4222\nip = 127.0.0.1:4222'), {
    url: 'nats://user:pw@host:4222',
    ip: '127.0.0.1:4222',
  });
  assert.deepEqual(plain('text = (\nline one\nline two\n)\n'), { text: '\nline one\nline two\n' });
  assert.match(syntaxError('a = "bad \\q"').message, /^Parse error on line 1: 'Invalid escape character 'q'\./);
  assert.equal(syntaxError('a = "open').message, "Parse error on line 1: 'Unexpected EOF.'");
});

test('booleans in every spelling', () => {
  assert.deepEqual(plain('a = true\nb = FALSE\nc = yes\nd = No\ne = on\nf = OFF\ng = "true"'), {
    a: true, b: false, c: true, d: false, e: true, f: false, g: 'true',
  });
});

test('integers with size suffixes: k/m/g are 1000s, kb/mb/gb (and ki, mib, ...) are 1024s', () => {
  assert.deepEqual(plain('a = 1k\nb = 1K\nc = 1kb\nd = 1KiB\ne = 2m\nf = 2MB\ng = 1g\nh = 1Gi\ni = 1t\nj = 1TB\nk = -5k'), {
    a: 1000, b: 1000, c: 1024, d: 1024, e: 2_000_000, f: 2 * 1024 * 1024, g: 1e9, h: 2 ** 30, i: 1e12, j: 2 ** 40,
    k: -5000,
  });
  assert.deepEqual(plain('a = 007\nb = -12\nc = 1.5\nd = 0x10'), { a: 7, b: -12, c: 1.5, d: '0x10' });
  assert.equal(syntaxError('a = 99999999999999999999').message, "integer '99999999999999999999' is out of the range");
});

test('durations are strings; an unquoted 2m is an integer, as in nats-server', () => {
  assert.deepEqual(plain('a = 10s\nb = "2m"\nc = 1h30m\nd = 2m'), { a: '10s', b: '2m', c: '1h30m', d: 2_000_000 });
});

test('datetimes in Zulu form', () => {
  const { a } = plain('a = 2024-02-29T12:34:56Z');
  assert.ok(a instanceof Date);
  assert.equal(a.toISOString(), '2024-02-29T12:34:56.000Z');
  assert.equal(syntaxError('a = 2023-02-29T00:00:00Z').message, "expected Zulu formatted DateTime, but got '2023-02-29T00:00:00Z'");
});

test('nats-server quirk kept: a number directly before ] reads as a word', () => {
  assert.match(syntaxError('a = [1, 2]').message, /Expected an array value terminator/);
  assert.deepEqual(plain('a = [1, 2 ]'), { a: [1, 2] });
});

test('syntax errors report the line like nats-server, and carry line and column', () => {
  const err = syntaxError('port = 4222\nbar = {\n x = ]\n}\n');
  assert.equal(
    err.message,
    `Parse error on line 3: 'Expected a map value terminator "," or a map terminator "}", but got ']' instead.'`,
  );
  assert.equal(err.position?.file, 'test.conf');
  assert.equal(err.position?.line, 3);
  assert.equal(syntaxError('a = 1 b').message,
    "Parse error on line 1: 'Expected a top-level value to end with a new line, comment or EOF, but got 'b' instead.'");
  assert.equal(syntaxError('a = 1\nfoo').message, 'config is invalid (test.conf:2:4)');
});

test('variables: block scoping, then the environment', () => {
  const text = `
    PORT = 4333
    outer {
      PORT = 5555
      inner { port = $PORT }
    }
    port = $PORT
    name = $NAME
  `;
  const conf = plain(text, { NAME: 'from-env', PORT: '1' });
  assert.deepEqual(conf.outer, { PORT: 5555, inner: { port: 5555 } });
  assert.equal(conf.port, 4333);
  assert.equal(conf.name, 'from-env');
  // Variables must be defined before use; a later definition is not seen.
  assert.equal(
    syntaxError('a { b = $x }\nx = 1').message,
    "variable reference for 'x' on line 1 can not be found",
  );
  // A key defined inside a block is not visible after the block.
  assert.equal(syntaxError('a { x = 1 }\nb = $x').message, "variable reference for 'x' on line 2 can not be found");
});

test('environment values are parsed as values, with cycle detection', () => {
  const env = { N: '4222', B: 'true', S: '2KB', M: '{ a: 1 }', REF: '$N', C1: '$C2', C2: '$C1', BAD: 'a b' };
  assert.deepEqual(plain('n = $N\nb = $B\ns = $S\nm = $M\nr = $REF', env), { n: 4222, b: true, s: 2048, m: { a: 1 }, r: 4222 });
  assert.match(syntaxError('c = $C1', env).message, /variable reference cycle for 'C1'/);
  assert.match(
    syntaxError('x = $BAD', env).message,
    /^variable reference for 'BAD' on line 1 could not be parsed: Parse error on line 1/,
  );
  assert.deepEqual(plain('h = "$N"\npw = $2a$11$abc', env), { h: '$N', pw: '$2a$11$abc' });
});

test('include merges another file, relative to the including file', () => {
  withTempDir((dir) => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'main.conf'), 'port = 1\ninclude sub/extra.conf\nauthorization { include "sub/auth.conf" }\n');
    writeFileSync(join(dir, 'sub', 'extra.conf'), 'debug = true\ninclude more.conf\n');
    writeFileSync(join(dir, 'sub', 'more.conf'), 'trace = true\n');
    writeFileSync(join(dir, 'sub', 'auth.conf'), 'timeout = 5\n');
    const result = loadConfigFile(join(dir, 'main.conf'));
    assert.deepEqual(result.options, {
      port: 1,
      debug: true,
      trace: true,
      authTimeout: 5000,
      configFile: join(dir, 'main.conf'),
    });
  });
});

test('include problems name the include', () => {
  withTempDir((dir) => {
    writeFileSync(join(dir, 'a.conf'), 'include missing.conf\n');
    writeFileSync(join(dir, 'loop.conf'), 'include loop.conf\n');
    writeFileSync(join(dir, 'bad.conf'), 'include broken.conf\n');
    writeFileSync(join(dir, 'broken.conf'), 'a = [\n');
    assert.throws(() => loadConfigFile(join(dir, 'a.conf')), {
      message: `error parsing include file 'missing.conf', open ${join(dir, 'missing.conf')}: no such file or directory`,
    });
    assert.throws(() => loadConfigFile(join(dir, 'loop.conf')), /error parsing include file 'loop.conf', include cycle/);
    assert.throws(() => loadConfigFile(join(dir, 'bad.conf')), /^ConfigError: error parsing include file 'broken.conf', Parse error on line 2/);
    assert.throws(() => loadConfigFile(join(dir, 'none.conf')), {
      message: `open ${join(dir, 'none.conf')}: no such file or directory`,
    });
  });
});

// --- applying to options -------------------------------------------------------------------------

test('implemented keys map onto options', () => {
  const { options, warnings } = apply(`
    listen: 127.0.0.1:4333
    server_name: myelin-1
    max_payload: 2MB
    max_control_line: 8KB
    max_pending: 128MB
    max_connections: 100
    max_subscriptions: 10
    ping_interval: "30s"
    ping_max: 3
    write_deadline: "5s"
    lame_duck_duration: "45s"
    lame_duck_grace_period: "5s"
    authorization { timeout: 1.5 }
    debug: true
    trace: false
    logtime: false
    log_file: /var/log/myelin.log
    pid_file: "/run/myelin.pid"
    ports_file_dir: /run
    no_header_support: true
    jetstream { store_dir: "/data/js" }
  `);
  assert.deepEqual(warnings, []);
  assert.deepEqual(options, {
    host: '127.0.0.1', port: 4333, serverName: 'myelin-1', maxPayload: 2 * 1024 * 1024, maxControlLine: 8192,
    maxPending: 128 * 1024 * 1024, maxConnections: 100, maxSubscriptions: 10, pingInterval: 30_000, pingMax: 3,
    writeDeadline: 5000, lameDuckDuration: 45_000, lameDuckGracePeriod: 5000, authTimeout: 1500, debug: true,
    trace: false, logtime: false, logFile: '/var/log/myelin.log', pidFile: '/run/myelin.pid', portsFileDir: '/run',
    noHeaderSupport: true, storeDir: '/data/js', jetstream: true,
  });
});

test('alternative spellings and forms', () => {
  assert.deepEqual(apply('net: 0.0.0.0\nport: 4222\nmax_conn: 0\nmax_subs: 1').options, {
    host: '0.0.0.0', port: 4222, maxConnections: -1, maxSubscriptions: 1,
  });
  assert.deepEqual(apply('listen: 4999').options, { port: 4999 });
  assert.deepEqual(apply('listen: "[::1]:4999"').options, { host: '::1', port: 4999 });
  assert.deepEqual(apply('jetstream: enabled\nstore_dir: /d').options, { jetstream: true, storeDir: '/d' });
  assert.deepEqual(apply('jetstream { enabled: false }').options, { jetstream: false });
  assert.deepEqual(apply('PORT: 4555\nPort: $PORT').options, { port: 4555 }); // keys match case-insensitively
});

test('numbers of seconds for durations still work, with nats-server\'s warning', () => {
  const { options, warnings } = apply('ping_interval: 5');
  assert.equal(options.pingInterval, 5000);
  assert.deepEqual(warnings, ['test.conf:1:0: invalid use of field "ping_interval": ping_interval should be converted to a duration']);
});

test('unknown fields are errors with position', () => {
  const err = applyError('port: 4222\n  foo = 1\n');
  assert.equal(err.message, 'test.conf:2:3: unknown field "foo"\n');
  assert.deepEqual(err.errors[0].position, { file: 'test.conf', line: 2, col: 3 });
  assert.equal(applyError('foo: 1').message, 'test.conf:1:0: unknown field "foo"\n');
  assert.equal(applyError('authorization {\n  bogus: 1\n}').message, 'test.conf:2:3: unknown field "bogus"\n');
  // A top-level key used as a variable is not an unknown field; an unused one is.
  assert.deepEqual(apply('P = 4222\nport = $P').options, { port: 4222 });
  assert.equal(applyError('P = 4222').message, 'test.conf:1:0: unknown field "P"\n');
});

test('keys nats-server knows but Myelin does not implement are warnings', () => {
  const { options, warnings } = apply('port: 1\nprof_port: 6060\ncluster { name: c }');
  assert.deepEqual(options, { port: 1 });
  assert.deepEqual(warnings, [
    'test.conf:2:1: field "prof_port" is not supported by Myelin yet and is ignored',
    'test.conf:3:1: field "cluster" is not supported by Myelin yet and is ignored',
  ]);
});

test('monitoring keys: http, https, http_port, monitor_port, https_port, http_base_path', () => {
  assert.deepEqual(apply('http: "127.0.0.1:-1"\nhttp_base_path: "/mon"').options, {
    httpHost: '127.0.0.1',
    httpPort: -1,
    httpBasePath: '/mon',
  });
  assert.deepEqual(apply('http: 8222').options, { httpPort: 8222 });
  assert.deepEqual(apply('https: "0.0.0.0:8443"').options, { httpHost: '0.0.0.0', httpsPort: 8443 });
  assert.deepEqual(apply('http_port: 8222').options, { httpPort: 8222 });
  assert.deepEqual(apply('monitor_port: 8223').options, { httpPort: 8223 });
  assert.deepEqual(apply('https_port: 8224').options, { httpsPort: 8224 });
  assert.deepEqual(apply('http: "127.0.0.1:-1"').warnings, []);
  assert.deepEqual(applyError('http: "nope"').errors.map((e) => e.message), [
    'test.conf:1:0: could not parse address string "nope"',
  ]);
});

test('unimplemented security settings are refused rather than ignored', () => {
  const err = applyError('authorization { auth_callout { issuer: x } }');
  assert.deepEqual(err.errors.map((e) => e.message), [
    'test.conf:1:16: field "authorization.auth_callout" is not supported by Myelin yet; refusing to run without it',
  ]);
  assert.match(applyError('tls { pinned_certs: [] }').message, /field "tls.pinned_certs" is not supported/);
  assert.match(applyError('ocsp: true').message, /field "ocsp" is not supported/);
  assert.match(applyError('resolver_tls { cert_file: x }').message, /field "resolver_tls" is not supported/);
});

test('authentication and account settings are passed through unparsed for src/auth', () => {
  const { options, warnings, auth } = apply(
    'authorization { user: a, pass: b, timeout: 3 }\naccounts { A: {} }\nno_auth_user: a\nsystem: SYS\n' +
      'operators: x.jwt\naccount_resolver: MEMORY\nresolver_preload { }\ntrusted_keys: []\nresolver_pinned_accounts: []',
  );
  assert.deepEqual(options, { authTimeout: 3000 });
  assert.deepEqual(warnings, []);
  assert.deepEqual(Object.keys(auth).sort(), [
    'accounts', 'authorization', 'no_auth_user', 'operator', 'resolver', 'resolver_pinned_accounts', 'resolver_preload',
    'system_account', 'trusted',
  ]);
  assert.equal(auth.authorization?.kind, 'map');
  assert.deepEqual(auth.no_auth_user, { kind: 'string', value: 'a', pos: { file: 'test.conf', line: 3, col: 1 }, usedAsVariable: false });
  assert.deepEqual(apply('port: 1').auth, {});
});

test('value checks use nats-server wording', () => {
  const cases: Array<[string, string]> = [
    ['port: "abc"', 'test.conf:1:0: interface conversion: interface {} is string, not int64'],
    ['debug: "yes"', 'test.conf:1:0: interface conversion: interface {} is string, not bool'],
    ['listen: "localhost"', 'test.conf:1:0: could not parse address string "localhost"'],
    ['listen: "host:abc"', 'test.conf:1:0: could not parse port "abc"'],
    ['server_name: "a b"', 'test.conf:1:0: server name cannot contain spaces'],
    ['max_payload: 3GB', 'test.conf:1:0: max_payload value is too big'],
    ['ping_interval: "abc"', 'test.conf:1:0: error parsing ping_interval: time: invalid duration "abc"'],
    ['write_deadline: "10x"', 'test.conf:1:0: error parsing write_deadline: time: unknown unit "x" in duration "10x"'],
    ['lame_duck_duration: "10s"', 'test.conf:1:0: invalid lame_duck_duration of 10s, minimum is 30 seconds'],
    ['lame_duck_grace_period: "-1s"', 'test.conf:1:0: invalid lame_duck_grace_period, needs to be positive'],
    ['authorization { timeout: "zz" }', `test.conf:1:16: error parsing authorization config, 'timeout' time: invalid duration "zz"`],
    ['jetstream: "bogus"', "test.conf:1:0: Expected 'enabled' or 'disabled' for string value, got 'bogus'"],
    ['jetstream: 5', 'test.conf:1:0: Expected map, bool or string to define JetStream, got int64'],
    ['store_dir: /a\njetstream { store_dir: /b }', "test.conf:2:13: Duplicate 'store_dir' configuration"],
  ];
  for (const [text, expected] of cases) assert.equal(applyError(text).message, `${expected}\n`, text);
});

test('warnings come before errors in the combined text', () => {
  const err = applyError('ping_interval: 1.5');
  assert.equal(
    err.message,
    'test.conf:1:0: invalid use of field "ping_interval": ping_interval should be converted to a duration\n' +
      'test.conf:1:0: interface conversion: interface {} is float64, not int64\n',
  );
});

test('an empty configuration is a warning', () => {
  assert.deepEqual(applyConfig(parseConfigText('# nothing\n'), 'empty.conf').warnings, [
    'empty.conf: config has no values or is empty',
  ]);
});
