// Loads the uWebSockets.js native addon, or says why it cannot. The package (an npm alias pinned in
// package.json) ships one binary per platform and Node ABI; its own index would fall back to a pure-JS
// emulation with a console warning, so the binary is required directly and a failure is reported to the
// caller, which then uses its fallback (node:http for monitoring, the ws package for WebSocket).

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type UwsModule = typeof import('uWebSockets.js');

let cached: { ok: true; uws: UwsModule } | { ok: false; reason: string } | undefined;

export function loadUws(): { ok: true; uws: UwsModule } | { ok: false; reason: string } {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  try {
    const pkg = require.resolve('uWebSockets.js/package.json');
    const binary = join(dirname(pkg), 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
    cached = { ok: true, uws: require(binary) as UwsModule };
  } catch (err) {
    cached = { ok: false, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
  return cached;
}
