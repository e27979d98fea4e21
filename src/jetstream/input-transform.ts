// A stream's own `subject_transform` ({src, dest}): a message published on a subject within `src` is stored
// under the mapped subject (nats-server's `mset.itr`, applied first thing in processJetStreamMsg and to sourced
// messages); other subjects are stored as published. The transform is myelin_core::transform's.

import { isValidSubject, validateSubjectMapping } from '../native/index.js';
import type { StreamConfig } from './defaults.js';
import { fail } from './errors.js';
import { SubjectTransform } from './subject-transform.js';

interface SubjectTransformConfig {
  src?: unknown;
  dest?: unknown;
}

function parts(cfg: StreamConfig): { src: string; dest: string } | undefined {
  const t = cfg.subject_transform as SubjectTransformConfig | null | undefined;
  if (t === undefined || t === null) return undefined;
  return { src: typeof t.src === 'string' ? t.src : '', dest: typeof t.dest === 'string' ? t.dest : '' };
}

/** checkStreamCfg's checks of `subject_transform`, with nats-server's codes and texts. */
export function checkInputTransform(cfg: StreamConfig): void {
  const t = parts(cfg);
  if (t === undefined) {
    delete cfg.subject_transform;
    return;
  }
  if (t.src !== '' && !isValidSubject(t.src)) fail('StreamTransformInvalidSource', { err: `invalid subject ${t.src}` });
  const invalid = validateSubjectMapping(t.src, t.dest);
  if (invalid !== null) fail('StreamTransformInvalidDestination', { err: invalid });
  const built = t.dest === '' ? undefined : SubjectTransform.build(t.src, t.dest);
  if (typeof built === 'string') {
    fail('StreamInvalidConfig', { err: `stream subject transform from '${t.src}' to '${t.dest}': ${built}` });
  }
}

/** The stream's input transform, if it maps anything. */
export function inputTransform(cfg: StreamConfig): SubjectTransform | undefined {
  const t = parts(cfg);
  return t === undefined || t.dest === '' ? undefined : SubjectTransform.create(t.src, t.dest);
}
