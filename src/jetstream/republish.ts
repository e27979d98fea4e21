// A stream's `republish` (nats-server's RePublish): once a message is stored, a copy goes to the destination
// its subject maps to, with the stream, subject, sequence, time and the previous sequence of that subject as
// headers (and the payload size instead of the payload with `headers_only`). It is published by the service's
// internal client right after the store, before the publish ack, as nats-server does.

import { isValidLiteralSubject, subjectsCollide } from '../native/index.js';
import type { StreamConfig } from './defaults.js';
import { fail } from './errors.js';
import { SubjectTransform } from './subject-transform.js';
import { rfc3339 } from './wire.js';

interface RePublishConfig {
  src?: string;
  dest?: string;
  headers_only?: boolean;
}

/** Fill and check a config's `republish` as nats-server's checkStreamCfg does (after subjects are final). */
export function checkRepublish(cfg: StreamConfig): void {
  const rp = cfg.republish as RePublishConfig | undefined | null;
  if (rp === undefined || rp === null) {
    delete cfg.republish;
    return;
  }
  const src = typeof rp.src === 'string' && rp.src !== '' ? rp.src : '>';
  const dest = typeof rp.dest === 'string' ? rp.dest : '';
  const filled: RePublishConfig = { src, dest };
  if (rp.headers_only === true) filled.headers_only = true;
  cfg.republish = filled;
  if (cfg.subjects.some((s) => subjectsCollide(dest, s))) {
    fail('StreamInvalidConfig', { err: 'stream configuration for republish destination forms a cycle' });
  }
  if (SubjectTransform.create(src, dest) === undefined) {
    fail('StreamInvalidConfig', { err: `stream configuration for republish with transform from '${src}' to '${dest}' not valid` });
  }
}

export class Republisher {
  private readonly transform: SubjectTransform;
  private readonly headersOnly: boolean;

  /** For a config that passed `checkRepublish`. */
  constructor(rp: RePublishConfig) {
    this.transform = SubjectTransform.create(rp.src ?? '>', rp.dest ?? '') as SubjectTransform;
    this.headersOnly = rp.headers_only === true;
  }

  static of(cfg: StreamConfig): Republisher | undefined {
    const rp = cfg.republish as RePublishConfig | undefined;
    return rp !== undefined && typeof rp.dest === 'string' && rp.dest !== '' ? new Republisher(rp) : undefined;
  }

  /** Where a message stored under `subject` goes, if anywhere (a subject that maps to no valid one is skipped). */
  target(subject: string): string | undefined {
    const t = this.transform.match(subject);
    return t !== undefined && isValidLiteralSubject(t) ? t : undefined;
  }

  /**
   * The copy of a stored message: its header block (the stored headers with nats-server's, in its order,
   * added at the end) and payload. `lastSeq` is the sequence the subject held before this message (0: none).
   */
  copy(stream: string, subject: string, hdr: Buffer | undefined, body: Buffer, seq: number, tsNs: bigint, lastSeq: number): { hdr: Buffer; body: Buffer } {
    let add = `Nats-Stream: ${stream}\r\nNats-Subject: ${subject}\r\nNats-Sequence: ${seq}\r\nNats-Time-Stamp: ${rfc3339(tsNs)}\r\nNats-Last-Sequence: ${lastSeq}\r\n`;
    if (this.headersOnly) add += `Nats-Msg-Size: ${body.length}\r\n`;
    const head = hdr !== undefined && hdr.length >= 12 ? hdr.subarray(0, hdr.length - 2) : Buffer.from('NATS/1.0\r\n');
    return { hdr: Buffer.concat([head, Buffer.from(`${add}\r\n`)]), body: this.headersOnly ? Buffer.alloc(0) : body };
  }
}
