// End to end in a real browser: headless Debian Chromium, driven by playwright-core, loads a page served by
// this harness; the page connects to the server's WebSocket port with `wsconnect` from @nats-io/nats-core
// (or with nats.ws) and publishes, subscribes and makes requests (also to a Node client on TCP); the test
// reads the results.
// `npm run test:browser` runs it; without /usr/bin/chromium it is skipped with a message saying so.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';

import { chromium, type Browser } from 'playwright-core';
import { connect, type NatsConnection } from '@nats-io/transport-node';

import { IMPLS, startWsServer, websocketBlock, type WsServer } from '../websocket/ws-server.js';
import { buildNatsCoreModule, servePage } from './page.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}: browser test skipped (install it with \`apt-get install chromium\`, then \`npm run test:browser\`)`;
if (skip !== false) process.stderr.write(`${skip}\n`);

interface PageResult {
  info: { host: string; port: number; headers: boolean };
  pubsub: string[];
  echo: string;
  header: string;
  fromNode: string;
  pushedByNode: string;
  bigIntact: boolean;
}

describe('browser over WebSocket (Chromium, playwright-core)', { skip, timeout: 120_000 }, () => {
  let browser: Browser;
  let page: { server: Server; origin: string };

  before(async () => {
    page = await servePage(await buildNatsCoreModule());
    // Running as root (CI containers) needs --no-sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    page?.server.close();
  });

  for (const impl of IMPLS) {
    test(`the page publishes, subscribes and makes requests through the server (${impl})`, async () => {
      // Only the page's origin may connect: the browser sends Origin, and the server checks it.
      const s: WsServer = await startWsServer(impl, websocketBlock(`  allowed_origins: ["${page.origin}"]`));
      let node: NatsConnection | undefined;
      const tab = await browser.newPage();
      const consoleLines: string[] = [];
      tab.on('console', (m) => consoleLines.push(m.text()));
      try {
        node = await connect({ servers: s.srv.url, reconnect: false });
        const nodeClient = node;
        nodeClient.subscribe('node.svc', {
          callback: (_err, m) => {
            m.respond(`node got: ${m.string()}`);
            nodeClient.publish('browser.in', 'pushed from node over TCP');
          },
        });
        await nodeClient.flush();

        await tab.goto(`${page.origin}/?ws=${encodeURIComponent(s.wsUrl)}`);
        await tab.waitForFunction(() => '__result' in window || '__error' in window, undefined, { timeout: 30_000 });
        const error = await tab.evaluate(() => (window as { __error?: string }).__error);
        assert.equal(error, undefined, `page failed: ${error}\nconsole: ${consoleLines.join('\n')}`);
        const result = await tab.evaluate(() => (window as unknown as { __result: PageResult }).__result);

        assert.deepEqual(result.info, { host: '127.0.0.1', port: s.wsPort, headers: true });
        assert.deepEqual(result.pubsub, ['alpha', 'beta', 'gamma ✓']);
        assert.equal(result.echo, 'echo:ping');
        assert.equal(result.header, 'chromium');
        assert.equal(result.fromNode, 'node got: hello from the browser');
        assert.equal(result.pushedByNode, 'pushed from node over TCP');
        assert.equal(result.bigIntact, true);
      } finally {
        await tab.close();
        await node?.close();
        await s.srv.stop();
      }
    });
  }

  test(`a page using nats.ws publishes, subscribes and makes requests (${IMPLS[0]})`, async () => {
    const s = await startWsServer(IMPLS[0] ?? 'uws', websocketBlock(`  allowed_origins: ["${page.origin}"]`));
    const tab = await browser.newPage();
    const node = await connect({ servers: s.srv.url, reconnect: false });
    try {
      node.subscribe('node.svc', { callback: (_err, m) => void m.respond(`node got: ${m.string()}`) });
      await node.flush();
      await tab.goto(`${page.origin}/nats-ws.html?ws=${encodeURIComponent(s.wsUrl)}`);
      await tab.waitForFunction(() => '__result' in window || '__error' in window, undefined, { timeout: 30_000 });
      const error = await tab.evaluate(() => (window as { __error?: string }).__error);
      assert.equal(error, undefined, `page failed: ${error}`);
      const result = await tab.evaluate(
        () => (window as unknown as { __result: { port: number; pubsub: string[]; fromNode: string } }).__result,
      );
      assert.deepEqual(result, { port: s.wsPort, pubsub: ['one', 'two'], fromNode: 'node got: from nats.ws' });
    } finally {
      await tab.close();
      await node.close();
      await s.srv.stop();
    }
  });

  test('a page from an origin not on the list is refused', async () => {
    const s = await startWsServer(IMPLS[0] ?? 'uws', websocketBlock('  allowed_origins: ["http://elsewhere.example"]'));
    const tab = await browser.newPage();
    try {
      await tab.goto(`${page.origin}/?ws=${encodeURIComponent(s.wsUrl)}`);
      await tab.waitForFunction(() => '__result' in window || '__error' in window, undefined, { timeout: 30_000 });
      const error = await tab.evaluate(() => (window as { __error?: string }).__error);
      assert.ok(error !== undefined, 'the connection should have been refused');
    } finally {
      await tab.close();
      await s.srv.stop();
    }
  });
});
