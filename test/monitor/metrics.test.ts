// /metrics (Myelin only: nats-server has no Prometheus endpoint): a valid text exposition of the same numbers
// /varz, /subsz and /accstatz report, with prometheus-nats-exporter's metric names.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { isGo } from '../helpers/server.js';
import { get, getJson, populate, startMonitored, type MonitoredServer, type Population } from './helpers.js';

describe('/metrics', { skip: isGo, timeout: 60_000 }, () => {
  let m: MonitoredServer;
  let pop: Population;
  before(async () => {
    m = await startMonitored();
    pop = await populate(m);
  });
  after(async () => {
    await pop?.close();
    await m?.srv.stop();
  });

  /** name{labels} → value, after checking every line's syntax and that each family is declared once. */
  function parse(text: string): Map<string, number> {
    const samples = new Map<string, number>();
    const typed = new Set<string>();
    assert.ok(text.endsWith('\n'));
    for (const line of text.trimEnd().split('\n')) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$/.exec(line);
      if (type) {
        assert.ok(!typed.has(type[1]), `${type[1]} declared twice`);
        typed.add(type[1]);
        continue;
      }
      if (line.startsWith('# HELP ')) continue;
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|NaN)$/.exec(line);
      assert.ok(sample, `bad sample line: ${line}`);
      assert.ok(typed.has(sample[1]), `${sample[1]} has no TYPE`);
      samples.set(`${sample[1]}${sample[2] ?? ''}`, Number(sample[3]));
    }
    return samples;
  }

  test('exposes the monitoring numbers with server_id and account labels', async () => {
    const res = await get(m, '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.type, /^text\/plain; version=0\.0\.4/);
    const samples = parse(res.body);
    const varz = await getJson(m, '/varz');
    const id = `server_id="${varz.server_id as string}"`;
    assert.equal(samples.get(`gnatsd_varz_connections{${id}}`), 2);
    assert.equal(samples.get(`gnatsd_varz_total_connections{${id}}`), 3);
    assert.equal(samples.get(`gnatsd_varz_in_msgs{${id}}`), 5);
    assert.equal(samples.get(`gnatsd_varz_out_msgs{${id}}`), 10);
    assert.equal(samples.get(`gnatsd_varz_out_bytes{${id}}`), 50);
    assert.equal(samples.get(`gnatsd_varz_slow_consumer_stats_clients{${id}}`), 0);
    assert.equal(samples.get(`gnatsd_varz_http_port{${id}}`), -1);
    assert.ok((samples.get(`gnatsd_varz_http_req_stats_varz{${id}}`) ?? 0) >= 1);
    assert.ok(Math.abs((samples.get(`gnatsd_varz_start{${id}}`) ?? 0) - Date.parse(varz.start as string)) < 1000);
    // The system account's own subscriptions count too, as in nats-server: compare with /subsz.
    const subsz = await getJson(m, '/subsz');
    assert.equal(samples.get(`gnatsd_subsz_num_subscriptions{${id}}`), subsz.num_subscriptions);
    assert.ok((subsz.num_subscriptions as number) >= 3);
    assert.equal(samples.get(`gnatsd_connz_num_connections{${id}}`), 2);
    assert.equal(samples.get(`gnatsd_connz_out_msgs{${id}}`), 10);
    assert.equal(samples.get(`gnatsd_connz_subscriptions{${id}}`), 3);
    assert.equal(samples.get(`gnatsd_healthz_status{${id}}`), 0);
    const g = `${id},account="$G",account_id="$G",account_name="$G"`;
    assert.equal(samples.get(`gnatsd_accstatz_current_connections{${g}}`), 2);
    assert.equal(samples.get(`gnatsd_accstatz_sent_messages{${g}}`), 10);
    assert.equal(samples.get(`gnatsd_accstatz_received_bytes{${g}}`), 25);
    assert.match(res.body, /^# TYPE gnatsd_varz_in_msgs counter$/m);
    assert.match(res.body, /^# TYPE gnatsd_varz_connections gauge$/m);
  });
});
