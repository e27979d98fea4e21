// Units: the Go formats monitoring output relies on (times, uptimes, durations, JSON escaping, query errors).

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { decodeBool, decodeInt, decodeUint, goDuration, goJson, goTime, goUptime, QueryError } from '../../src/monitor/go-format.js';
import { joinBase } from '../../src/monitor/monitor-server.js';

test('goTime is RFC 3339 in UTC with the fraction trimmed', () => {
  assert.equal(goTime(Date.UTC(2026, 10, 24, 8, 2, 50, 752)), '2026-11-24T08:02:50.752Z');
  assert.equal(goTime(Date.UTC(2026, 10, 24, 8, 2, 50, 750)), '2026-11-24T08:02:50.75Z');
  assert.equal(goTime(Date.UTC(2026, 10, 24, 8, 2, 50, 0)), '2026-11-24T08:02:50Z');
});

test('goUptime uses nats-server\'s units', () => {
  assert.equal(goUptime(0), '0s');
  assert.equal(goUptime(6_900), '6s');
  assert.equal(goUptime(62_000), '1m2s');
  assert.equal(goUptime(3_601_000), '1h0m1s');
  assert.equal(goUptime(2 * 86_400_000 + 5_000), '2d0h0m5s');
  assert.equal(goUptime(366 * 86_400_000), '1y1d0h0m0s');
});

test('goDuration is time.Duration.String', () => {
  assert.equal(goDuration(0), '0s');
  assert.equal(goDuration(0.589), '589µs');
  assert.equal(goDuration(3.562871), '3.562871ms');
  assert.equal(goDuration(1500), '1.5s');
  assert.equal(goDuration(120_000), '2m0s');
});

test('goJson escapes <, > and & like encoding/json', () => {
  assert.equal(goJson({ s: 'baz.> <&' }, false), '{"s":"baz.\\u003e \\u003c\\u0026"}');
  assert.equal(goJson({ a: 1 }), '{\n  "a": 1\n}');
});

test('query decoding gives strconv\'s errors', () => {
  const q = new URLSearchParams('b=T&i=-3&u=7&bad=x');
  assert.equal(decodeBool(q, 'b'), true);
  assert.equal(decodeBool(q, 'missing'), false);
  assert.equal(decodeInt(q, 'i'), -3);
  assert.equal(decodeUint(q, 'u'), 7);
  assert.throws(() => decodeBool(q, 'bad'), (e: unknown) => e instanceof QueryError && e.message === `Error decoding boolean for 'bad': strconv.ParseBool: parsing "x": invalid syntax`);
  assert.throws(() => decodeUint(q, 'i'), /Error decoding uint64 for 'i': strconv.ParseUint: parsing "-3": invalid syntax/);
  assert.throws(() => decodeInt(q, 'bad'), /Error decoding int for 'bad': strconv.Atoi: parsing "x": invalid syntax/);
});

test('http_base_path joins like nats-server', () => {
  assert.equal(joinBase('', '/'), '/');
  assert.equal(joinBase('', '/varz'), '/varz');
  assert.equal(joinBase('mon', '/'), '/mon');
  assert.equal(joinBase('/mon/', '/varz'), '/mon/varz');
});
