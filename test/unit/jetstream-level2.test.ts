// The pure parts of the level 2 stream features: nats-server's schedule time and TTL syntax, counter
// increments, a due schedule's headers, and the removal of a batch a crash left uncommitted (real store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeStore } from '../../src/native/index.js';
import { dropPartialBatch } from '../../src/jetstream/batch.js';
import { counterValue, incrementOf } from '../../src/jetstream/counter.js';
import { JsApiError } from '../../src/jetstream/errors.js';
import { parseSchedule, scheduledHeaders, validMessageTtl } from '../../src/jetstream/schedules.js';
import { headerBlock, parseHeaders } from '../../src/jetstream/wire.js';

const LIMITS = {
  maxMsgs: -1,
  maxBytes: -1,
  maxAgeNs: 0n,
  maxMsgSize: -1,
  maxMsgsPerSubject: -1,
  discard: 'old' as const,
  discardNewPerSubject: false,
  subjectDeleteMarkers: false,
};

test('parseSchedule: @at with an RFC 3339 time (Go time.Parse), nothing else in 2.12', () => {
  assert.equal(parseSchedule('@at 2020-01-01T00:00:00Z'), Date.UTC(2020, 0, 1));
  assert.equal(parseSchedule('@at 2020-01-01T02:00:00+02:00'), Date.UTC(2020, 0, 1));
  assert.equal(parseSchedule('@at 2020-01-01T00:00:00.250Z'), Date.UTC(2020, 0, 1) + 250);
  for (const bad of ['@every 1s', '@hourly', '0 * * * * *', '@at 2020-01-01', '@at 2020-02-30T00:00:00Z', '@at 2020-01-01T24:00:00Z', 'at 2020-01-01T00:00:00Z']) {
    assert.equal(parseSchedule(bad), undefined, bad);
  }
});

test('validMessageTtl: never, a Go duration of at least 1s, or whole seconds', () => {
  for (const ok of ['never', 'NEVER', '1s', '1.5m', '2h45m', '10', '0.5s1s']) assert.ok(validMessageTtl(ok), ok);
  for (const bad of ['0', '500ms', '-5s', 'bogus', '1x', '', '1.']) assert.ok(!validMessageTtl(bad), bad);
});

test('incrementOf: the checks of Nats-Incr in nats-server order', () => {
  const h = (pairs: [string, string][]) => parseHeaders(headerBlock('', pairs));
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof JsApiError ? e.error.err_code : -1;
    }
    return 0;
  };
  const empty = Buffer.alloc(0);
  assert.equal(incrementOf(h([['Nats-Incr', '-42']]), empty, true), -42n);
  assert.equal(incrementOf(h([]), empty, true), undefined);
  assert.equal(code(() => incrementOf(h([['Nats-Incr', 'x']]), empty, false)), 10171);
  assert.equal(code(() => incrementOf(h([['Nats-Incr', '1']]), empty, false)), 10168);
  assert.equal(code(() => incrementOf(h([['Nats-Incr', '1']]), Buffer.from('x'), true)), 10170);
  assert.equal(code(() => incrementOf(h([['Nats-Incr', '1'], ['Nats-Expected-Stream', 'C']]), empty, true)), 10171);
});

test('scheduledHeaders: the schedule headers, msg id, TTL, rollup and expectations stay behind', () => {
  const hdr = headerBlock('', [
    ['Nats-Schedule', '@at 2020-01-01T00:00:00Z'],
    ['Nats-Schedule-Target', 's.t'],
    ['Nats-Schedule-TTL', '5s'],
    ['Foo', 'bar'],
    ['Nats-Msg-Id', 'x'],
    ['Nats-Expected-Last-Sequence', '3'],
    ['Nats-Rollup', 'sub'],
  ]);
  assert.equal(
    scheduledHeaders(hdr, 's.sched', '5s').toString(),
    'NATS/1.0\r\nFoo: bar\r\nNats-Scheduler: s.sched\r\nNats-Schedule-Next: purge\r\nNats-TTL: 5s\r\n\r\n',
  );
});

test('counterValue and dropPartialBatch on a real store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'myelin-l2-'));
  try {
    const store = new NativeStore('file', dir, LIMITS);
    const put = (subject: string, pairs: [string, string][], body = '') =>
      store.store(Buffer.from(subject), pairs.length > 0 ? headerBlock('', pairs) : Buffer.alloc(0), Buffer.from(body), 1n);
    put('c', [['Nats-Incr', '5']], '{"val":"5"}');
    assert.equal(counterValue(store, 'c'), 5n);
    assert.equal(counterValue(store, 'none'), 0n);
    put('b', [['Nats-Batch-Id', 'done'], ['Nats-Batch-Sequence', '1'], ['Nats-Batch-Commit', '1']]);
    assert.equal(dropPartialBatch(store), 0, 'a committed batch stays');
    put('b', [['Nats-Batch-Id', 'cut'], ['Nats-Batch-Sequence', '1']]);
    put('b', [['Nats-Batch-Id', 'cut'], ['Nats-Batch-Sequence', '2']]);
    assert.equal(dropPartialBatch(store), 2);
    const s = store.state();
    assert.equal(s.msgs, 2);
    assert.equal(s.lastSeq, 4, 'sequences are not reused');
    put('x', [], 'not json');
    assert.throws(() => counterValue(store, 'x'), (e: unknown) => e instanceof JsApiError && e.error.err_code === 10172);
    store.destroy();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
