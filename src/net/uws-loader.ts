// Loads uWebSockets.js's native binary for this platform and Node version directly, not through the
// package's entry point, which silently swaps in a slow JS fallback and prints to the console. A caller that
// gets `ok: false` chooses its own fallback (the WebSocket listener uses the `ws` package).

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import type * as Uws from 'uWebSockets.js';

export type UwsModule = typeof Uws;

export function loadUws(): { ok: true; module: UwsModule } | { ok: false; reason: string } {
  const require = createRequire(import.meta.url);
  try {
    const dir = dirname(require.resolve('uWebSockets.js/package.json'));
    const file = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
    return { ok: true, module: require(join(dir, 'binaries', file)) as UwsModule };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err) };
  }
}
