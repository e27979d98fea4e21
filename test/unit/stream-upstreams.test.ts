// Units of republish, mirror and sources configs: nats-server's subject transform for republish, the
// republished header block byte for byte, mirror/sources config filling and errors, the cycle check, and the
// config as nats-server marshals it (no empty subjects, no zero duplicate window).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { normalizeStreamConfig, type StreamConfig } from '../../src/jetstream/defaults.js';
import { JsApiError } from '../../src/jetstream/errors.js';
import { Republisher } from '../../src/jetstream/republish.js';
import { SubjectTransform } from '../../src/jetstream/subject-transform.js';
import { checkUpstreams, configJson, indexName } from '../../src/jetstream/upstream-config.js';

const norm = (raw: Record<string, unknown>) => normalizeStreamConfig(raw, 1 << 20);

function errCode(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof JsApiError);
    return e.error.err_code;
  }
  assert.fail('expected an API error');
}

test('subject transform: wildcards by index, > carries the rest, literal sources, refusals', () => {
  const t = (src: string, dest: string, subject: string) => SubjectTransform.create(src, dest)?.match(subject);
  assert.equal(t('orders.*.>', 'rp.$1.>', 'orders.eu.1.x'), 'rp.eu.1.x');
  assert.equal(t('a.*.*', 'b.{{wildcard(2)}}.{{wildcard(1)}}', 'a.x.y'), 'b.y.x');
  assert.equal(t('ho.keep.>', 'hor.>', 'ho.keep.x'), 'hor.x');
  assert.equal(t('>', 'copy.>', 'a.b'), 'copy.a.b');
  assert.equal(t('>', '>', 'a.b'), 'a.b');
  assert.equal(t('many', 'many.copy', 'many'), 'many.copy');
  assert.equal(t('a.*', 'b.$1', 'c.x'), undefined, 'outside the source');
  assert.equal(SubjectTransform.create('a.*', 'b.$2'), undefined, 'index out of range');
  assert.equal(SubjectTransform.create('a.*', 'b.*'), undefined, 'wildcards in the destination');
  assert.equal(SubjectTransform.create('>', 'b'), undefined, '> on one side only');
  assert.match(t('a.*', 'b.{{partition(3,1)}}', 'a.x') ?? '', /^b\.[012]$/, 'every mapping function (myelin_core::transform)');
  assert.equal(SubjectTransform.build('a.*', 'b.{{nope(1)}}'), 'invalid mapping destination: unknown function in {{nope(1)}}');
});

test('republished copy: the stored headers then nats-server\'s, in its order', () => {
  const r = new Republisher({ src: '>', dest: 'x.>' });
  const plain = r.copy('S', 'a.b', undefined, Buffer.from('hi'), 7, 1_700_000_000_123_456_789n, 3);
  assert.equal(
    plain.hdr.toString(),
    'NATS/1.0\r\nNats-Stream: S\r\nNats-Subject: a.b\r\nNats-Sequence: 7\r\nNats-Time-Stamp: 2023-11-14T22:13:20.123456789Z\r\nNats-Last-Sequence: 3\r\n\r\n',
  );
  assert.equal(plain.body.toString(), 'hi');
  const ho = new Republisher({ src: '>', dest: 'x.>', headers_only: true });
  const c = ho.copy('S', 'a.b', Buffer.from('NATS/1.0\r\nK: v\r\n\r\n'), Buffer.from('12345'), 1, 1_000_000_000n, 0);
  assert.equal(
    c.hdr.toString(),
    'NATS/1.0\r\nK: v\r\nNats-Stream: S\r\nNats-Subject: a.b\r\nNats-Sequence: 1\r\nNats-Time-Stamp: 1970-01-01T00:00:01Z\r\nNats-Last-Sequence: 0\r\nNats-Msg-Size: 5\r\n\r\n',
  );
  assert.equal(c.body.length, 0);
});

test('republish config: src filled, cycle and invalid transform refused', () => {
  assert.deepEqual(norm({ name: 'S', subjects: ['s.>'], republish: { dest: 'r.>' } }).republish, { src: '>', dest: 'r.>' });
  assert.equal(errCode(() => norm({ name: 'S', subjects: ['s.>'], republish: { dest: 's.>' } })), 10052);
  assert.equal(errCode(() => norm({ name: 'S', subjects: ['s'], republish: { src: 's', dest: 'r.*' } })), 10052);
});

test('mirror and sources configs: no subjects of their own, canonical entries, nats-server\'s errors', () => {
  const m = norm({ name: 'M', mirror: { name: 'O', opt_start_seq: 0, filter_subject: '' } });
  assert.deepEqual(m.subjects, []);
  assert.deepEqual(m.mirror, { name: 'O' });
  assert.equal(m.duplicate_window, 0);
  const json = configJson(m);
  assert.equal('subjects' in json, false);
  assert.equal('duplicate_window' in json, false);
  const s = norm({ name: 'S', sources: [{ name: 'A', filter_subject: 'a.>' }] });
  assert.deepEqual(s.subjects, []);
  assert.deepEqual(s.sources, [{ name: 'A', filter_subject: 'a.>' }]);
  assert.equal(s.duplicate_window, 120e9);
  assert.equal(errCode(() => norm({ name: 'M', subjects: ['m'], mirror: { name: 'O' } })), 10034);
  assert.equal(errCode(() => norm({ name: 'M', mirror: { name: 'O' }, sources: [{ name: 'A' }] })), 10031);
  assert.equal(errCode(() => norm({ name: 'M', mirror: { name: 'O' }, first_seq: 5 })), 10143);
  assert.equal(errCode(() => norm({ name: 'M', mirror: { name: 'a.b' } })), 10142);
  assert.equal(errCode(() => norm({ name: 'M', mirror: { name: 'O', filter_subject: 'x', subject_transforms: [{ src: 'x', dest: 'y' }] } })), 10150);
  assert.equal(errCode(() => norm({ name: 'M', mirror: { name: 'O', external: { api: '$JS.hub.API' } } })), 10052);
  assert.equal(errCode(() => norm({ name: 'S', sources: [{ name: 'A' }, { name: 'A' }] })), 10140);
  assert.equal(errCode(() => norm({ name: 'S', sources: [{ name: '' }] })), 10141);
  assert.deepEqual(norm({ name: 'S', sources: [{ name: 'A', subject_transforms: [{ src: '>', dest: 'x.>' }] }] }).sources, [
    { name: 'A', subject_transforms: [{ src: '>', dest: 'x.>' }] },
  ]);
  assert.equal(indexName({ name: 'A', subject_transforms: [{ src: '', dest: '' }, { src: 'b.*', dest: 'c.$1' }] }), 'A >\fb.* >\fc.$1');
  assert.equal(indexName({ name: 'A', filter_subject: 'a.>' }), 'A a.> >');
  // The same stream twice with different filters is two sources.
  assert.equal(norm({ name: 'S', sources: [{ name: 'A', filter_subject: 'a.1' }, { name: 'A', filter_subject: 'a.2' }] }).sources?.toString(), '[object Object],[object Object]');
});

test('checkUpstreams: origin limits, mirror_direct from the origin, cycles through sources and mirrors', () => {
  const streams = new Map<string, StreamConfig>();
  const lookup = (n: string) => streams.get(n);
  streams.set('O', norm({ name: 'O', subjects: ['o'], allow_direct: true, max_msg_size: 100 }));
  const m = norm({ name: 'M', mirror: { name: 'O' } });
  checkUpstreams(m, lookup);
  assert.equal(m.mirror_direct, true);
  assert.equal(errCode(() => checkUpstreams(norm({ name: 'M', mirror: { name: 'O' }, max_msg_size: 10 }), lookup)), 10030);
  assert.equal(errCode(() => checkUpstreams(norm({ name: 'S', sources: [{ name: 'O' }], max_msg_size: 10 }), lookup)), 10046);
  streams.set('A', norm({ name: 'A', subjects: ['a'], sources: [{ name: 'B' }] }));
  assert.equal(errCode(() => checkUpstreams(norm({ name: 'B', subjects: ['b'], sources: [{ name: 'A' }] }), lookup)), 10052);
  // Coming back through a source whose filter cannot match the stream's subjects is no cycle.
  streams.set('A2', norm({ name: 'A2', subjects: ['a2'], sources: [{ name: 'B2', filter_subject: 'x' }] }));
  checkUpstreams(norm({ name: 'B2', subjects: ['b2'], sources: [{ name: 'A2' }] }), lookup);
  assert.equal(errCode(() => checkUpstreams(norm({ name: 'B', mirror: { name: 'A' } }), lookup)), 10052);
});
