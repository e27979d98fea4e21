// The one place that says which Myelin this is and which nats-server release it tracks.
// Everything that prints a version (-v, INFO, /varz, the startup banner) imports from here.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nats-server release whose client-visible behaviour Myelin aims to match. */
export const NATS_SERVER_LEVEL = '2.12.0';

/**
 * The version field of Myelin's package.json. It is read at runtime rather than copied
 * into the source so that bumping the package version is the only step a release needs.
 * Compiled code lives in dist/src/, sources in src/, so we walk up until we meet our
 * package.json instead of assuming a fixed depth.
 */
export const MYELIN_VERSION: string = readOwnPackageVersion();

function readOwnPackageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const version = versionIfOurPackage(join(dir, 'package.json'));
    if (version !== undefined) return version;
    const parent = dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}

function versionIfOurPackage(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
    if (pkg.name === 'myelin' && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // A malformed package.json that is not ours: keep walking up.
  }
  return undefined;
}
