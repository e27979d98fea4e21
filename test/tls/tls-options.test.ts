// The TLS options: the `tls` block of the config file, the --tls* flags layered over it as nats-server does,
// and the startup checks of the certificate files. Texts are nats-server's (checked with `nats-server -t`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyConfig, ConfigProcessError, parseConfigText } from '../../src/config/config-file.js';
import { buildOptions, defaultOptions, OptionsError, type Options } from '../../src/config/options.js';
import { parseFlags } from '../../src/config/flags.js';
import { loadTlsSettings } from '../../src/net/tls-settings.js';
import { CA, SERVER_CERT, SERVER_KEY } from './certs.js';

function fromFile(text: string): Partial<Options> {
  return applyConfig(parseConfigText(text, { file: 't.conf', env: {} }), 't.conf').options;
}

function fileErrors(text: string): string[] {
  try {
    fromFile(text);
  } catch (err) {
    assert.ok(err instanceof ConfigProcessError);
    return err.errors.map((e) => e.message);
  }
  assert.fail(`no error for ${text}`);
}

test('the tls block', () => {
  const o = fromFile('tls { cert_file: "c.pem", key_file: "k.pem", ca_file: "ca.pem", verify_and_map: true, timeout: 0.5, handshake_first: true }');
  assert.deepEqual(
    { tls: o.tls, tlsCert: o.tlsCert, tlsKey: o.tlsKey, tlsCaCert: o.tlsCaCert, tlsVerify: o.tlsVerify, tlsMap: o.tlsMap },
    { tls: true, tlsCert: 'c.pem', tlsKey: 'k.pem', tlsCaCert: 'ca.pem', tlsVerify: true, tlsMap: true },
  );
  assert.equal(o.tlsTimeout, 500);
  assert.equal(o.tlsHandshakeFirst, true);
  assert.equal(fromFile('tls { timeout: "3s" }').tlsTimeout, 3000);
  assert.equal(fromFile('tls { first: "on" }').tlsHandshakeFirst, true);
  assert.equal(buildOptions(fromFile('tls { verify: true }'), {}).tlsTimeout, 2000, "nats-server's TLS_TIMEOUT");
});

test('tls block errors, positioned as nats-server positions them', () => {
  assert.deepEqual(fileErrors('tls { verify: "yes" }'), ["t.conf:1:6: error parsing tls config, expected 'verify' to be a boolean"]);
  assert.deepEqual(fileErrors('tls { foo: 1 }'), ['t.conf:1:6: error parsing tls config, unknown field "foo"']);
  assert.deepEqual(fileErrors('tls { timeout: true }'), ["t.conf:1:6: error parsing tls config, 'timeout' wrong type"]);
  assert.deepEqual(fileErrors('tls { cert_file: "x" }'), ["t.conf:1:0: missing 'key_file' in TLS configuration"]);
  assert.deepEqual(fileErrors('tls { handshake_first: "maybe" }'), ['t.conf:1:6: field "handshake_first"\'s value "maybe" is invalid']);
  assert.deepEqual(fileErrors('tls { handshake_first: 3 }'), ['t.conf:1:6: field "handshake_first" should be a boolean or a string, got int64']);
  assert.match(fileErrors('tls { handshake_first: auto }')[0], /is not supported by Myelin yet; refusing to run without it$/);
  assert.match(fileErrors('tls { pinned_certs: [] }')[0], /field "tls.pinned_certs" is not supported by Myelin yet/);
});

test('flags over the file: any --tls* flag replaces cert, key, CA and verify; --tls=false turns TLS off', () => {
  const file = fromFile('tls { cert_file: "c.pem", key_file: "k.pem", ca_file: "ca.pem", verify: true, timeout: 1 }');
  const flags = (args: string[]) => parseFlags(args).options;
  const o = buildOptions(file, flags(['--tlscert', 'fc.pem', '--tlskey', 'fk.pem']));
  assert.deepEqual([o.tls, o.tlsCert, o.tlsKey, o.tlsCaCert, o.tlsVerify, o.tlsTimeout], [true, 'fc.pem', 'fk.pem', '', false, 1000]);
  const v = buildOptions({}, flags(['--tlsverify', '--tlscert', 'c', '--tlskey', 'k', '--tlscacert', 'ca']));
  assert.deepEqual([v.tls, v.tlsVerify, v.tlsCaCert], [true, true, 'ca']);
  assert.equal(buildOptions(file, flags(['--tls=false', '--tlscert', 'x'])).tls, false);
  assert.throws(() => buildOptions(file, flags(['--tlsverify'])), (e: Error) => e instanceof OptionsError && e.message === 'TLS Server certificate must be present and valid');
  assert.throws(() => buildOptions({}, flags(['--tlscert', 'c'])), /TLS Server private key must be present and valid/);
});

test('certificate files are read at startup, with Go-style errors', () => {
  const base = { ...defaultOptions(), tls: true };
  assert.equal(loadTlsSettings(defaultOptions()), undefined);
  const s = loadTlsSettings({ ...base, tlsCert: SERVER_CERT, tlsKey: SERVER_KEY, tlsCaCert: CA, tlsVerify: true });
  assert.equal(s?.verify, true);
  assert.match(s?.certPem ?? '', /BEGIN CERTIFICATE/);
  assert.throws(
    () => loadTlsSettings({ ...base, tlsCert: '/nonexistent', tlsKey: SERVER_KEY }),
    /^OptionsError: error parsing X509 certificate\/key pair: open \/nonexistent: no such file or directory$/,
  );
  assert.throws(() => loadTlsSettings({ ...base, tlsCaCert: '/nonexistent' }), /^OptionsError: open \/nonexistent: no such file or directory$/);
  assert.throws(() => loadTlsSettings({ ...base, tlsCert: SERVER_KEY, tlsKey: SERVER_CERT }), /error parsing X509 certificate\/key pair/);
});
