// The body of a `$SYS.REQ` request: nats-server's event filter, and endpoint options turned into the HTTP
// endpoints' query parameters.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { MonitorSource } from '../../src/monitor/collect.js';
import { BadRequest, filteredOut, parseBody, queryFor } from '../../src/system/request-options.js';

const source = {
  identity: { serverId: 'NID', serverName: 'east-1', port: 4222 },
  options: { host: '10.0.0.7' },
} as unknown as MonitorSource;

test('an empty body has no options; null is empty options; bad JSON is a 400', () => {
  assert.equal(parseBody(Buffer.alloc(0)), undefined);
  assert.deepEqual(parseBody(Buffer.from('null')), {});
  assert.deepEqual(parseBody(Buffer.from('{"limit":5}')), { limit: 5 });
  assert.throws(() => parseBody(Buffer.from('notjson')), BadRequest);
  assert.throws(() => parseBody(Buffer.from('[1]')), BadRequest);
});

test('filters: substring by default, equality with exact_match', () => {
  assert.equal(filteredOut(source, undefined), false);
  assert.equal(filteredOut(source, {}), false);
  assert.equal(filteredOut(source, { server_name: 'east' }), false);
  assert.equal(filteredOut(source, { server_name: 'west' }), true);
  assert.equal(filteredOut(source, { server_name: 'east', exact_match: true }), true);
  assert.equal(filteredOut(source, { server_name: 'east-1', exact_match: true }), false);
  assert.equal(filteredOut(source, { host: '10.0' }), false);
  assert.equal(filteredOut(source, { host: '10.1' }), true);
});

test('filters naming a cluster, tags or a domain match nothing (no cluster, tags or domain here)', () => {
  assert.equal(filteredOut(source, { cluster: 'c' }), true);
  assert.equal(filteredOut(source, { tags: ['a'] }), true);
  assert.equal(filteredOut(source, { tags: [] }), false);
  assert.equal(filteredOut(source, { domain: 'hub' }), true);
});

test('CONNZ options as natscli sends them become /connz parameters', () => {
  const body = {
    sort: 'subs', auth: true, subscriptions: true, subscriptions_detail: false, offset: 0, limit: 1024, cid: 0,
    mqtt_client: '', state: 0, user: '', acc: '', filter_subject: '', exact_match: true,
  };
  assert.equal(queryFor('CONNZ', body).toString(), 'sort=subs&auth=true&subs=true&limit=1024');
  assert.equal(queryFor('CONNZ', { subscriptions_detail: true, state: 2 }).toString(), 'subs=detail&state=all');
  assert.equal(queryFor('CONNZ', { state: 1, acc: 'A' }).toString(), 'state=closed&acc=A');
});

test('SUBSZ, ACCOUNTZ, STATZ and HEALTHZ options', () => {
  assert.equal(queryFor('SUBSZ', { subscriptions: true, account: 'A', test: 'a.b' }).toString(), 'subs=true&acc=A&test=a.b');
  assert.equal(queryFor('ACCOUNTZ', { account: 'A' }).toString(), 'acc=A');
  assert.equal(queryFor('STATZ', { accounts: ['A', 'B'], include_unused: true }).toString(), 'accounts=A%2CB&unused=true');
  assert.equal(queryFor('STATZ', { accounts: null }).toString(), '');
  assert.equal(queryFor('HEALTHZ', { 'js-enabled-only': true }).toString(), 'js-enabled-only=true');
  assert.equal(queryFor('VARZ', undefined).toString(), '');
});
