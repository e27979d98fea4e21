// The `websocket { }` block: nats-server's keys and aliases, its complaints (texts checked against
// nats-server 2.12.15 with `-t`), warnings for keys Myelin does not implement, and the startup checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { applyConfig, ConfigProcessError, parseConfigText } from '../../src/config/config-file.js';
import { buildOptions, OptionsError, validateOptions } from '../../src/config/options.js';

function apply(text: string): ReturnType<typeof applyConfig> {
  return applyConfig(parseConfigText(text, { file: 'test.conf', env: {} }), 'test.conf');
}

function errorsOf(text: string): string[] {
  try {
    apply(text);
  } catch (err) {
    assert.ok(err instanceof ConfigProcessError);
    return err.errors.map((e) => e.message);
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

test('websocket keys and aliases map onto the options', () => {
  const { options, warnings } = apply(
    'websocket {\n  host: 127.0.0.1\n  port: 8443\n  no_tls: true\n  same_origin: true\n' +
      '  allowed_origins: ["http://a.example", "https://b.example:8443"]\n  compression: true\n' +
      '  handshake_timeout: "2.5s"\n  headers { Strict-Transport-Security: "max-age=1" }\n}\n',
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(options.websocket, {
    host: '127.0.0.1',
    port: 8443,
    noTls: true,
    sameOrigin: true,
    allowedOrigins: ['http://a.example', 'https://b.example:8443'],
    compression: true,
    handshakeTimeout: 2500,
    headers: { 'Strict-Transport-Security': 'max-age=1' },
  });
  const alias = apply('ws { listen: "0.0.0.0:-1", compress: false, origin: "http://c.example", handshake_timeout: 3 }');
  assert.equal(alias.options.websocket?.host, '0.0.0.0');
  assert.equal(alias.options.websocket?.port, -1);
  assert.deepEqual(alias.options.websocket?.allowedOrigins, ['http://c.example']);
  assert.equal(alias.options.websocket?.handshakeTimeout, 3000);
});

test("nats-server's errors for the websocket block", () => {
  assert.deepEqual(errorsOf('websocket: 8080'), ['test.conf:1:0: Expected websocket to be a map, got int64']);
  assert.deepEqual(errorsOf('websocket { port: -1, no_tls: true, foo: 1 }'), ['test.conf:1:36: unknown field "foo"']);
  assert.deepEqual(errorsOf('websocket { port: -1, no_tls: true, handshake_timeout: true }'), [
    'test.conf:1:36: error parsing handshake timeout: unsupported type bool',
  ]);
  assert.deepEqual(errorsOf('websocket { handshake_timeout: "soon" }'), ['test.conf:1:12: time: invalid duration "soon"']);
  assert.deepEqual(errorsOf('websocket { no_tls: "yes" }'), [
    'test.conf:1:12: interface conversion: interface {} is string, not bool',
  ]);
  assert.deepEqual(errorsOf('websocket { allowed_origins: [true, "x"] }'), [
    'test.conf:1:30: error parsing allowed origins: unsupported type in array bool',
  ]);
});

test('keys Myelin does not implement: warned about, or refused when ignoring them would open access', () => {
  const { warnings } = apply('websocket { port: -1, no_tls: true, jwt_cookie: "jwt", ping_interval: "1m" }');
  assert.deepEqual(warnings, [
    'test.conf:1:36: field "websocket.jwt_cookie" is not supported by Myelin yet and is ignored',
    'test.conf:1:55: field "websocket.ping_interval" is not supported by Myelin yet and is ignored',
  ]);
  assert.deepEqual(errorsOf('websocket { port: -1, authorization { token: x } }'), [
    'test.conf:1:22: field "websocket.authorization" is not supported by Myelin yet; refusing to run without it',
  ]);
});

test('startup checks: TLS or no_tls, reserved headers; the host defaults to 0.0.0.0', () => {
  const withoutTls = buildOptions(apply('websocket { port: -1 }').options, {});
  assert.throws(() => validateOptions(withoutTls), new OptionsError('websocket requires TLS configuration'));

  const badHeader = buildOptions(apply('websocket { port: -1, no_tls: true, headers { Upgrade: x } }').options, {});
  assert.throws(() => validateOptions(badHeader), new OptionsError('websocket: invalid header "Upgrade" not allowed'));
  const secHeader = buildOptions(apply('websocket { port: -1, no_tls: true, headers { Sec-WebSocket-X: x } }').options, {});
  assert.throws(
    () => validateOptions(secHeader),
    new OptionsError('websocket: invalid header "Sec-WebSocket-X", "Sec-WebSocket-" prefix not allowed'),
  );

  const ok = buildOptions(apply('websocket { port: -1, no_tls: true }').options, {});
  validateOptions(ok);
  assert.equal(ok.websocket.host, '0.0.0.0');
  assert.equal(buildOptions({}, {}).websocket.port, 0);
});
