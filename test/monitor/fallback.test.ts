// When the uWebSockets.js binary cannot load (here: a Node ABI it has no binary for), the HTTP listener falls
// back to node:http by itself and still serves. Runs in a child process so this process's loader is untouched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('a uWS binary that does not load selects node:http automatically', () => {
  const listener = fileURLToPath(new URL('../../src/net/http-listener.js', import.meta.url));
  const script = `
    Object.defineProperty(process.versions, 'modules', { value: '999' });
    const m = await import(${JSON.stringify(listener)});
    const choice = m.chooseHttpBackend();
    const l = await m.startHttpListener({ host: '127.0.0.1', port: 0, handler: (req) => ({ status: 200, headers: {}, body: req.path }) });
    const body = await (await fetch('http://127.0.0.1:' + l.port + '/probe')).text();
    await l.close();
    console.log(JSON.stringify({ choice, backend: l.backend, body }));
  `;
  const env = { ...process.env };
  delete env.MYELIN_HTTP_LISTENER;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 20_000 });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { choice: { backend: string; reason?: string }; backend: string; body: string };
  assert.equal(r.choice.backend, 'node');
  assert.match(r.choice.reason ?? '', /uws_.*_999\.node/);
  assert.equal(r.backend, 'node');
  assert.equal(r.body, '/probe');
});
