// Monitoring listener configuration: `http: host:port` with -1, http_base_path, HTTPS (-ms) with and without
// a certificate, and the startup errors nats-server gives. Runs against Myelin (both listeners) and Go.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { connect } from 'nats';

import { checkFor, isGo, runServerCommand } from '../helpers/server.js';
import { get, getJson, startMonitored } from './helpers.js';

const backends: ('uws' | 'node' | undefined)[] = isGo ? [undefined] : ['uws', 'node'];

for (const backend of backends) {
  const label = backend !== undefined ? ` (${backend} listener)` : '';
  const withBackend = backend !== undefined ? { backend } : {};

  test(`http: host:-1 and http_base_path${label}`, { timeout: 30_000 }, async () => {
    const m = await startMonitored({ ...withBackend, args: [], config: 'http: "127.0.0.1:-1"\nhttp_base_path: "mon"\n' });
    try {
      assert.match(m.base, /^http:\/\/127\.0\.0\.1:\d+$/);
      const v = await getJson(m, '/mon/varz');
      assert.equal(v.http_base_path, 'mon');
      assert.equal(v.http_port, -1);
      assert.equal(v.http_host, '127.0.0.1');
      assert.equal((await get(m, '/mon')).status, 200);
      assert.equal((await get(m, '/mon/healthz')).body, '{"status":"ok"}');
      assert.equal((await get(m, '/varz')).status, 404);
      assert.equal((await get(m, '/mon/')).status, 404);
    } finally {
      await m.srv.stop();
    }
  });

  test(`-ms serves HTTPS with the server certificate${label}`, { timeout: 30_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'myelin-https-'));
    try {
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      try {
        execFileSync('openssl', [
          'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
          '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
        ], { stdio: 'ignore' });
      } catch {
        t.skip('openssl is not available to make a test certificate');
        return;
      }
      const m = await startMonitored({ ...withBackend, args: ['-ms', '-1', '--tls', '--tlscert', cert, '--tlskey', key] });
      try {
        assert.match(m.base, /^https:\/\/127\.0\.0\.1:\d+$/);
        const body = await new Promise<string>((resolve, reject) => {
          httpsGet(`${m.base}/varz`, { ca: readFileSync(cert) }, (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve(text));
          }).on('error', reject);
        });
        const v = JSON.parse(body) as Record<string, unknown>;
        assert.equal(v.https_port, -1);
        assert.equal(v.http_port, 0);
      } finally {
        await m.srv.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('max_closed_clients bounds the closed-connection list', { timeout: 30_000 }, async () => {
  const m = await startMonitored({ args: [], config: 'http: "127.0.0.1:-1"\nmax_closed_clients: 2\n' });
  try {
    for (const name of ['c1', 'c2', 'c3', 'c4']) {
      const nc = await connect({ servers: m.srv.url, name, reconnect: false });
      await nc.flush();
      await nc.close();
      // One at a time, so the newest two are known.
      await checkFor(5000, 20, async () => ((await getJson(m, '/connz?state=closed')).connections as { name: string }[]).some((c) => c.name === name));
    }
    const closed = await getJson(m, '/connz?state=closed');
    assert.equal(closed.total, 2);
    assert.deepEqual((closed.connections as { name: string }[]).map((c) => c.name).sort(), ['c3', 'c4']);
  } finally {
    await m.srv.stop();
  }
});

describe('monitoring startup errors', { timeout: 30_000 }, () => {
  test('-ms without a TLS certificate is refused', async () => {
    const r = await runServerCommand(['-a', '127.0.0.1', '-p', '-1', '-ms', '-1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Can't start monitoring: TLS cert and key required for HTTPS/);
  });

  test('HTTP and HTTPS ports together are refused', async () => {
    const r = await runServerCommand(['-a', '127.0.0.1', '-p', '-1', '-m', '-1', '-ms', '-1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Can't start monitoring: can't specify both HTTP \(-1\) and HTTPs \(-1\) ports/);
  });
});
