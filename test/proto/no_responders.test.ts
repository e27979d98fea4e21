// no_responders: a request (PUB with reply) that reaches no subscriber gets a 503 status HMSG.
import { describe, test } from 'node:test';
import { useWireServer, msg, hpub } from '../helpers/wire.js';

/** The exact 503 the server synthesizes: header length is 32 + len(subject). */
function noResponders(reply: string, sid: string | number, subject: string): string {
  const hdr = `NATS/1.0 503\r\nNats-Subject: ${subject}\r\n\r\n`;
  const len = Buffer.byteLength(hdr);
  return `HMSG ${reply} ${sid} ${len} ${len}\r\n${hdr}\r\n`;
}

describe('no_responders', { timeout: 60_000 }, () => {
  const server = useWireServer();
  const open = (connectOpts: Record<string, unknown> = { headers: true, no_responders: true }) =>
    server.handshake(connectOpts);

  test('exact 503 HMSG for a request with no subscribers', async () => {
    const c = await open();
    await c.send('SUB reply.x 7\r\nPUB svc.a reply.x 2\r\nhi\r\nPING\r\n');
    await c.expect('HMSG reply.x 7 37 37\r\nNATS/1.0 503\r\nNats-Subject: svc.a\r\n\r\n\r\nPONG\r\n');
  });

  test('header length follows the subject length', async () => {
    const c = await open();
    await c.send('SUB r 1\r\nPUB a r 0\r\n\r\nPUB some.much.longer.subject.name r 0\r\n\r\nPING\r\n');
    await c.expect(
      'HMSG r 1 33 33\r\nNATS/1.0 503\r\nNats-Subject: a\r\n\r\n\r\n' +
        noResponders('r', 1, 'some.much.longer.subject.name') +
        'PONG\r\n',
    );
  });

  test('HPUB request also gets the 503', async () => {
    const c = await open();
    await c.send('SUB rep.1 2\r\n' + hpub('svc.b', 'NATS/1.0\r\nX: y\r\n\r\n', 'body', 'rep.1') + 'PING\r\n');
    await c.expect(noResponders('rep.1', 2, 'svc.b') + 'PONG\r\n');
  });

  test('muxed _INBOX style: wildcard reply subscription gets the 503 on the full reply subject', async () => {
    const c = await open();
    await c.send('SUB _INBOX.abc.* 1\r\nPUB svc _INBOX.abc.r1 0\r\n\r\nPING\r\n');
    await c.expect(noResponders('_INBOX.abc.r1', 1, 'svc') + 'PONG\r\n');
  });

  test('nothing when the connection did not ask for no_responders', async () => {
    const c = await open({ headers: true });
    await c.send('SUB reply.x 7\r\nPUB svc.a reply.x 2\r\nhi\r\nPING\r\n');
    await c.expect('PONG\r\n');
  });

  test('nothing when the requester has no subscription on the reply subject', async () => {
    const c = await open();
    await c.send('PUB svc.a reply.none 2\r\nhi\r\nPING\r\n');
    await c.expect('PONG\r\n');
  });

  test('nothing for a PUB without reply', async () => {
    const c = await open();
    await c.send('SUB reply.x 7\r\nPUB svc.a 2\r\nhi\r\nPING\r\n');
    await c.expect('PONG\r\n');
  });

  test('no 503 when a responder exists (plain or queue); the request is delivered', async () => {
    const responder = await open({});
    await responder.send('SUB svc.q workers 1\r\nSUB svc.p 2\r\n');
    await responder.pingPong();
    const c = await open();
    await c.send('SUB inbox.1 9\r\nPUB svc.q inbox.1 1\r\nq\r\nPUB svc.p inbox.1 1\r\np\r\nPING\r\n');
    await c.expect('PONG\r\n');
    await responder.expect(msg('svc.q', 1, 'q', 'inbox.1') + msg('svc.p', 2, 'p', 'inbox.1'));
    // The responder answers; the requester gets a normal MSG.
    await responder.send('PUB inbox.1 4\r\npong\r\n');
    await responder.pingPong();
    await c.expect(msg('inbox.1', 9, 'pong'));
  });

  test('a subscriber on the requesting connection itself counts as a responder', async () => {
    const c = await open();
    await c.send('SUB svc.self 1\r\nSUB rr 2\r\nPUB svc.self rr 1\r\nx\r\nPING\r\n');
    await c.expect(msg('svc.self', 1, 'x', 'rr') + 'PONG\r\n');
  });

  test('with echo:false, own subscription does not count: 503', async () => {
    const c = await open({ headers: true, no_responders: true, echo: false });
    await c.send('SUB svc.noecho 1\r\nSUB rr 2\r\nPUB svc.noecho rr 1\r\nx\r\nPING\r\n');
    await c.expect(noResponders('rr', 2, 'svc.noecho') + 'PONG\r\n');
  });
});
