// What the browser test serves: two HTML pages, one per client library, and their scripts.
//   /            @nats-io/nats-core's `wsconnect`, as an ES module bundled here with esbuild-wasm (nothing is
//                fetched from outside); publish, subscribe, request, headers, a large payload, a TCP peer.
//   /nats-ws.html nats.ws, whose package ships a browser ES module (esm/nats.js); publish, subscribe, request.
// Each script connects to the WebSocket URL in the page's query string and leaves its findings in
// `window.__result` (or `window.__error`) for the test to read.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { repoRoot } from '../helpers/server.js';

/** nats-core as one ES module for the browser. */
export async function buildNatsCoreModule(): Promise<string> {
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild-wasm') as typeof import('esbuild-wasm');
  const out = await esbuild.build({
    stdin: { contents: "export { wsconnect, headers } from '@nats-io/nats-core';", resolveDir: repoRoot },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]?.text ?? '';
}

const page = (script: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Myelin over WebSocket</title></head>
<body><pre id="log">running</pre><script type="module" src="${script}"></script></body></html>
`;

/** The page's script (runs in the browser; plain JS). */
const APP_JS = `import { wsconnect, headers } from '/nats-core.js';

const log = (line) => { document.getElementById('log').textContent += '\\n' + line; };
const params = new URLSearchParams(location.search);

async function run() {
  const nc = await wsconnect({ servers: params.get('ws'), name: 'browser-test', reconnect: false });
  const result = { info: { host: nc.info.host, port: nc.info.port, headers: nc.info.headers } };

  // Publish and subscribe, within the page.
  const sub = nc.subscribe('browser.loop', { max: 3 });
  for (const word of ['alpha', 'beta', 'gamma ✓']) nc.publish('browser.loop', word);
  result.pubsub = [];
  for await (const m of sub) result.pubsub.push(m.string());
  log('pubsub ' + result.pubsub.join(','));

  // Request/reply, with the responder in the page too.
  nc.subscribe('browser.echo', { callback: (_err, m) => m.respond('echo:' + m.string()) });
  result.echo = (await nc.request('browser.echo', 'ping', { timeout: 5000 })).string();

  // Headers.
  const h = headers();
  h.set('X-From', 'chromium');
  const hsub = nc.subscribe('browser.hdr', { max: 1 });
  nc.publish('browser.hdr', 'with headers', { headers: h });
  for await (const m of hsub) result.header = m.headers.get('X-From');

  // Across transports: a Node client on TCP answers, then publishes to the page.
  const inbound = nc.subscribe('browser.in', { max: 1 });
  await nc.flush();
  result.fromNode = (await nc.request('node.svc', 'hello from the browser', { timeout: 5000 })).string();
  for await (const m of inbound) result.pushedByNode = m.string();

  // A large payload, sent and received back.
  const big = new Uint8Array(256 * 1024).map((_, i) => (i * 7) & 0xff);
  const bsub = nc.subscribe('browser.big', { max: 1 });
  nc.publish('browser.big', big);
  for await (const m of bsub) result.bigIntact = m.data.length === big.length && m.data.every((b, i) => b === big[i]);

  await nc.drain();
  log('done');
  return result;
}

run().then((r) => { window.__result = r; }, (e) => { window.__error = String(e && e.stack || e); });
`;

/** The nats.ws page's script: the v2 API (connect, StringCodec). */
const APP_NATS_WS_JS = `import { connect, StringCodec } from '/nats-ws.js';

const sc = StringCodec();
const params = new URLSearchParams(location.search);

async function run() {
  const nc = await connect({ servers: params.get('ws'), reconnect: false });
  const result = { port: nc.info.port };
  const sub = nc.subscribe('natsws.loop', { max: 2 });
  nc.publish('natsws.loop', sc.encode('one'));
  nc.publish('natsws.loop', sc.encode('two'));
  result.pubsub = [];
  for await (const m of sub) result.pubsub.push(sc.decode(m.data));
  result.fromNode = sc.decode((await nc.request('node.svc', sc.encode('from nats.ws'), { timeout: 5000 })).data);
  await nc.drain();
  return result;
}

run().then((r) => { window.__result = r; }, (e) => { window.__error = String(e && e.stack || e); });
`;

/** Serves the pages on 127.0.0.1 (random port). */
export async function servePage(natsCoreModule: string): Promise<{ server: Server; origin: string }> {
  const require = createRequire(import.meta.url);
  // The package's exports map only '.', so find esm/ beside the resolved cjs/ entry.
  const natsWsModule = readFileSync(join(dirname(require.resolve('nats.ws')), '..', 'esm', 'nats.js'), 'utf8');
  const js = 'text/javascript; charset=utf-8';
  const files: Record<string, [string, string]> = {
    '/': ['text/html; charset=utf-8', page('/app.js')],
    '/app.js': [js, APP_JS],
    '/nats-core.js': [js, natsCoreModule],
    '/nats-ws.html': ['text/html; charset=utf-8', page('/app-nats-ws.js')],
    '/app-nats-ws.js': [js, APP_NATS_WS_JS],
    '/nats-ws.js': [js, natsWsModule],
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': file[0], 'Cache-Control': 'no-store' }).end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, origin: `http://127.0.0.1:${port}` };
}
