// Units of the API-level-1 consumer features: pause times (Go's RFC 3339 parsing and RFC3339Nano output,
// the zero time), priority config defaults and checks, pull request priority fields, and which waiting
// request the priority policy picks.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { ConsumerConfig } from '../../src/jetstream/defaults.js';
import { JsApiError } from '../../src/jetstream/errors.js';
import { formatUtc, normalizePause, PauseClock, pauseTimeOf } from '../../src/jetstream/pause.js';
import { normalizePriority, PriorityState } from '../../src/jetstream/priority.js';
import { parsePullRequest, type PullRequest } from '../../src/jetstream/pull.js';

const cfg = (extra: Record<string, unknown>) => ({ ack_policy: 'explicit', ...extra }) as unknown as ConsumerConfig;

function errCodeOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof JsApiError) return e.error.err_code;
    throw e;
  }
  return undefined;
}

test('pause times: offsets become UTC, fractions keep nanoseconds without trailing zeros, zero time is none', () => {
  assert.equal(formatUtc(pauseTimeOf('2030-01-02T03:04:05.120Z') as bigint), '2030-01-02T03:04:05.12Z');
  assert.equal(formatUtc(pauseTimeOf('2030-01-02T05:04:05.000000001+02:00') as bigint), '2030-01-02T03:04:05.000000001Z');
  assert.equal(formatUtc(pauseTimeOf('1970-01-01T00:00:00.000Z') as bigint), '1970-01-01T00:00:00Z');
  assert.equal(formatUtc(pauseTimeOf('1969-12-31T23:59:59.5Z') as bigint), '1969-12-31T23:59:59.5Z');
  assert.equal(pauseTimeOf('0001-01-01T00:00:00Z'), undefined);
  assert.equal(pauseTimeOf(undefined), undefined);
  assert.equal(errCodeOf(() => pauseTimeOf('tomorrow')), 10025);
  assert.equal(errCodeOf(() => pauseTimeOf(5)), 10025);
  assert.deepEqual(normalizePause(cfg({ pause_until: '2030-01-02T05:04:05+02:00' })).pause_until, '2030-01-02T03:04:05Z');
  assert.equal('pause_until' in normalizePause(cfg({ pause_until: '0001-01-01T00:00:00Z' })), false);
});

test('the pause clock holds until its deadline and reports the end once', () => {
  const clock = new PauseClock();
  const now = Date.parse('2030-01-01T00:00:00Z');
  clock.set(cfg({ pause_until: '2030-01-01T00:00:10Z' }), now);
  assert.equal(clock.paused(now), true);
  assert.equal(clock.expired(now + 5000), false);
  assert.equal(clock.paused(now + 10_000), false);
  assert.equal(clock.expired(now + 10_000), true);
  assert.equal(clock.expired(now + 20_000), false);
  clock.set(cfg({ pause_until: '2029-01-01T00:00:00Z' }), now);
  assert.equal(clock.paused(now), false);
  assert.equal(clock.expired(now), false);
});

test('priority config: defaults and nats-server error codes', () => {
  const pinned = normalizePriority(cfg({ priority_policy: 'pinned_client', priority_groups: ['A'] }));
  assert.equal(pinned.priority_timeout, 120e9);
  const none = normalizePriority(cfg({ priority_policy: 'none', priority_groups: [], priority_timeout: -5 }));
  assert.equal('priority_policy' in none || 'priority_groups' in none || 'priority_timeout' in none, false);
  const codes = [
    { priority_policy: 'overflow' },
    { priority_groups: ['A'] },
    { priority_timeout: 1 },
    { priority_policy: 'overflow', priority_groups: [''] },
    { priority_policy: 'overflow', priority_groups: ['has space'] },
    { priority_policy: 'overflow', priority_groups: ['A'], deliver_subject: 'd' },
    { priority_policy: 'first' },
  ].map((extra) => errCodeOf(() => normalizePriority(cfg(extra))));
  assert.deepEqual(codes, [10159, 10196, 10197, 10161, 10162, 10178, 10025]);
});

test('pull requests carry their priority fields only when JSON', () => {
  const r = parsePullRequest('r', Buffer.from('{"batch":2,"group":"A","min_pending":3,"min_ack_pending":4,"id":"P","priority":2}'), 0);
  assert.deepEqual(r?.priority, { group: 'A', minPending: 3, minAckPending: 4, id: 'P', priority: 2 });
  assert.equal(parsePullRequest('r', Buffer.from('5'), 0)?.priority, undefined);
  assert.equal(parsePullRequest('r', Buffer.alloc(0), 0)?.priority, undefined);
});

function request(body: Record<string, unknown>): PullRequest {
  return parsePullRequest('_INBOX.x', Buffer.from(JSON.stringify({ batch: 1, ...body })), 0) as PullRequest;
}

test('admit: the status lines of refused requests; a pinned client keeps its pin', () => {
  const advisories: string[] = [];
  const state = new PriorityState((kind) => void advisories.push(kind), '$G');
  const ov = cfg({ priority_policy: 'overflow', priority_groups: ['A'] });
  const pin = cfg({ priority_policy: 'pinned_client', priority_groups: ['A'], priority_timeout: 1e9 });
  assert.equal(state.admit(pin, request({}).priority, 0), '400 Bad Request - Priority Group missing');
  assert.equal(state.admit(pin, request({ group: 'B' }).priority, 0), '400 Bad Request - Invalid Priority Group');
  assert.equal(state.admit(pin, request({ group: 'A', min_pending: 1 }).priority, 0), '400 Bad Request - Not a Overflow Priority consumer');
  assert.equal(state.admit(ov, request({ group: 'A', id: 'x' }).priority, 0), '400 Bad Request - Not a Pinned Client Priority consumer');
  assert.equal(state.admit(ov, request({ group: 'A', priority: -1 }).priority, 0), '400 Bad Request - Priority must be between 0 and 9');
  assert.equal(state.admit(cfg({}), request({ group: 'anything' }).priority, 0), undefined);

  const waiting = [request({ group: 'A' })];
  const picked = state.pick(pin, waiting, { numPending: () => 1, ackPending: 0 }, 0, () => assert.fail('nothing to refuse'));
  assert.deepEqual(picked, { index: 0, pinned: true, limited: false });
  assert.equal(state.pinId.length, 22);
  assert.deepEqual(advisories, ['PINNED']);
  assert.equal(state.admit(pin, request({ group: 'A', id: 'other' }).priority, 0), '423 Nats-Pin-Id mismatch');
  // A request from the pinned client pushes the timeout out; without one the pin goes.
  assert.equal(state.admit(pin, request({ group: 'A', id: state.pinId }).priority, 900), undefined);
  assert.equal(state.expired(1500), false);
  assert.equal(state.expired(1900), true);
  assert.deepEqual(advisories, ['PINNED', 'UNPINNED']);
});

test('pick: overflow limits, pinned waiting and stale ids, prioritized order', () => {
  const state = new PriorityState(() => {}, '$G');
  const ov = cfg({ priority_policy: 'overflow', priority_groups: ['A'] });
  const counts = { numPending: () => 5, ackPending: 2 };
  const refuse = () => assert.fail('nothing to refuse');
  assert.equal(state.pick(ov, [request({ group: 'A', min_pending: 6 })], counts, 0, refuse), undefined);
  assert.deepEqual(state.pick(ov, [request({ group: 'A', min_pending: 6 }), request({ group: 'A', min_ack_pending: 2 })], counts, 0, refuse), {
    index: 1,
    pinned: false,
    limited: true,
  });

  const pin = cfg({ priority_policy: 'pinned_client', priority_groups: ['A'], priority_timeout: 1e9 });
  const refused: string[] = [];
  const stale = request({ group: 'A', id: 'old' });
  const waiting = [stale, request({ group: 'A' })];
  assert.equal(state.pick(pin, waiting, counts, 0, (_r, s) => void refused.push(s))?.pinned, true);
  assert.deepEqual(refused, ['423 Nats-Wrong-Pin-Id']);
  assert.equal(waiting.length, 1);
  // While the pin is held, a request without an id waits and the pinned one is served.
  const mine = request({ group: 'A', id: state.pinId });
  const queue = [request({ group: 'A' }), mine];
  assert.equal(state.pick(pin, queue, counts, 0, refuse)?.index, 1);
  assert.equal(state.pick(pin, [request({ group: 'A' })], counts, 0, refuse), undefined);

  const pri = cfg({ priority_policy: 'prioritized', priority_groups: ['A'] });
  const list: PullRequest[] = [];
  for (const p of [5, 1, 5, 0]) {
    const r = request({ group: 'A', priority: p });
    list.splice(state.insertAt(pri, list, r), 0, r);
  }
  const plain = parsePullRequest('_INBOX.y', Buffer.from('1'), 0) as PullRequest;
  list.splice(state.insertAt(pri, list, plain), 0, plain);
  assert.deepEqual(
    list.map((r) => r.priority?.priority ?? 'none'),
    [0, 1, 5, 5, 'none'],
  );
});
