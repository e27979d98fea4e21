// Every -ERR path of the client protocol with default server options, with the exact bytes sent
// and whether the server closes the connection or keeps it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useWireServer, msg } from '../helpers/wire.js';

const UNKNOWN = "-ERR 'Unknown Protocol Operation'\r\n";
const CONNECT = 'CONNECT {"verbose":false,"pedantic":false}\r\n';
const CONNECT_H = 'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n';

describe('protocol errors', { timeout: 60_000 }, () => {
  const server = useWireServer();
  const open = () => server.raw();
  /** Fresh connection, send `data`, expect exactly `reply` and then the server closing. */
  const closesWith = async (data: string | Buffer, reply: string) => {
    const c = await open();
    await c.send(data);
    await c.expectThenClosed(reply);
  };
  /** Fresh connection, send `data` + PING, expect exactly `reply` + PONG, connection stays open. */
  const keepsWith = async (data: string, reply: string) => {
    const c = await open();
    await c.send(data + 'PING\r\n');
    await c.expect(reply + 'PONG\r\n');
    assert.equal(c.closed, false);
    await c.pingPong();
    return c;
  };

  describe("-ERR 'Unknown Protocol Operation' (connection closed)", () => {
    const cases: Array<[string, string]> = [
      ['unknown op', 'FOO\r\n'],
      ['unknown op after CONNECT', CONNECT + 'FOO bar\r\n'],
      ['MSG is server-to-client only', CONNECT + 'MSG foo 1 2\r\nhi\r\n'],
      ['HMSG is server-to-client only', CONNECT_H + 'HMSG foo 1 12 12\r\nNATS/1.0\r\n\r\n\r\n'],
      ['route op RS+', CONNECT + 'RS+ foo\r\n'],
      ['leaf op LS+', CONNECT + 'LS+ foo\r\n'],
      ['account op A+', CONNECT + 'A+ foo\r\n'],
      ['op glued to its argument (PUBX)', CONNECT + 'PUBX foo 0\r\n'],
      ['op glued to its argument (SUBfoo)', CONNECT + 'SUBfoo 1\r\n'],
      ['PUB with no space/arguments', CONNECT + 'PUB\r\n'],
      ['UNSUB with no arguments', CONNECT + 'UNSUB\r\n'],
      ['PIN<G> misspelled', CONNECT + 'PINX\r\n'],
      ['payload longer than declared size', CONNECT + 'PUB foo 2\r\nhiX\r\n'],
      ['payload shorter than declared size', CONNECT + 'PUB foo 2\r\nh\r\n'],
      ['payload not followed by CRLF', CONNECT + 'PUB foo 2\r\nhi\n\n'],
    ];
    for (const [name, data] of cases) {
      test(name, async () => closesWith(data, UNKNOWN));
    }

    test('messages before the bad op are still processed', async () => {
      const c = await open();
      await c.send(CONNECT + 'SUB foo 1\r\nPUB foo 2\r\nok\r\nBAD\r\nPUB foo 2\r\nno\r\n');
      await c.expectThenClosed(msg('foo', 1, 'ok') + UNKNOWN);
    });
  });

  describe('malformed arguments: connection closed without any -ERR', { timeout: 60_000 }, () => {
    const cases: Array<[string, string]> = [
      ['PUB with only a subject', CONNECT + 'PUB foo\r\n'],
      ['PUB with too many arguments', CONNECT + 'PUB foo bar baz 2\r\n'],
      ['PUB with a non-numeric size', CONNECT + 'PUB foo x\r\n'],
      ['PUB with a negative size', CONNECT + 'PUB foo -1\r\n'],
      ['PUB with empty arguments', CONNECT + 'PUB \r\n'],
      ['PUB with a size of more than 9 digits (unparseable, not a payload violation)', CONNECT + 'PUB foo 1000000000\r\n'],
      ['SUB with only a subject', CONNECT + 'SUB foo\r\n'],
      ['SUB with too many arguments', CONNECT + 'SUB a b c d\r\n'],
      ['UNSUB with too many arguments', CONNECT + 'UNSUB 1 2 3\r\n'],
      ['HPUB with a header size larger than the total size', CONNECT_H + 'HPUB foo 20 18\r\n'],
      ['HPUB with a single size', CONNECT_H + 'HPUB foo 18\r\n'],
      ['HPUB with too many arguments', CONNECT_H + 'HPUB foo a b 12 14\r\n'],
      ['HPUB on a connection that did not set headers:true', CONNECT + 'HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n'],
      ['HPUB on a connection with headers:false', 'CONNECT {"verbose":false,"headers":false}\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n'],
      ['CONNECT with invalid JSON', 'CONNECT {bad json\r\n'],
      ['CONNECT with no argument', 'CONNECT\r\n'],
      ['CONNECT with a wrongly typed field', 'CONNECT {"verbose":"yes"}\r\n'],
      ['client sends -ERR', CONNECT + "-ERR 'boom'\r\n"],
    ];
    for (const [name, data] of cases) {
      test(name, async () => closesWith(data, ''));
    }
  });

  describe("-ERR 'maximum control line exceeded' (default max_control_line 4096, closed)", () => {
    test('SUB control-line argument of exactly 4096 bytes is accepted', async () => {
      const subject = 'a'.repeat(4096 - 2); // "<subject> 1"
      await keepsWith(CONNECT + `SUB ${subject} 1\r\n`, '');
    });

    test('SUB argument of 4097 bytes is rejected', async () => {
      const subject = 'a'.repeat(4097 - 2);
      await closesWith(CONNECT + `SUB ${subject} 1\r\n`, "-ERR 'maximum control line exceeded'\r\n");
    });

    test('PUB with a 5000-byte subject', async () => {
      await closesWith(CONNECT + `PUB ${'a'.repeat(5000)} 2\r\nhi\r\n`, "-ERR 'maximum control line exceeded'\r\n");
    });

    test('oversized CONNECT', async () => {
      await closesWith(`CONNECT {"verbose":false,"name":"${'x'.repeat(5000)}"}\r\n`, "-ERR 'maximum control line exceeded'\r\n");
    });

    test('an unterminated line is rejected once it grows past the limit (split across writes)', async () => {
      const c = await open();
      await c.send(CONNECT + 'PUB ' + 'a'.repeat(3000));
      await c.send('a'.repeat(3000));
      await c.expectThenClosed("-ERR 'maximum control line exceeded'\r\n");
    });
  });

  describe("-ERR 'Maximum Payload Violation' (default max_payload 1048576, closed)", () => {
    test('PUB size 1048577', async () => {
      await closesWith(CONNECT + 'PUB foo 1048577\r\n', "-ERR 'Maximum Payload Violation'\r\n");
    });

    test('the check happens on the PUB line, before any payload is sent (9-digit size)', async () => {
      await closesWith(CONNECT + 'PUB foo 999999999\r\n', "-ERR 'Maximum Payload Violation'\r\n");
    });

    test('HPUB total size 1048577', async () => {
      await closesWith(CONNECT_H + 'HPUB foo 12 1048577\r\n', "-ERR 'Maximum Payload Violation'\r\n");
    });

    test('PUB of exactly 1048576 bytes is delivered', async () => {
      const c = await open();
      const payload = Buffer.alloc(1048576, 0x61);
      await c.send(CONNECT + 'SUB big 1\r\n');
      await c.send(Buffer.concat([Buffer.from('PUB big 1048576\r\n'), payload, Buffer.from('\r\nPING\r\n')]));
      await c.expect('MSG big 1 1048576\r\n', 10_000);
      await c.expect(payload.toString('latin1') + '\r\nPONG\r\n', 10_000);
    });
  });

  describe("-ERR 'Invalid Subject' on SUB (connection kept)", () => {
    for (const subject of ['foo..bar', 'foo.>.bar', '>.foo', '.foo', 'foo.']) {
      test(`SUB ${subject}`, async () => {
        const c = await keepsWith(CONNECT + `SUB ${subject} 1\r\n`, "-ERR 'Invalid Subject'\r\n");
        // The connection is still usable, and the bad subscription does not exist.
        await c.send('SUB ok 2\r\nPUB ok 1\r\nx\r\nPING\r\n');
        await c.expect(msg('ok', 2, 'x') + 'PONG\r\n');
      });
    }

    test('the sid of a rejected SUB stays free', async () => {
      const c = await keepsWith(CONNECT + 'SUB foo..bar 1\r\n', "-ERR 'Invalid Subject'\r\n");
      await c.send('SUB good 1\r\nPUB good 1\r\nx\r\nPING\r\n');
      await c.expect(msg('good', 1, 'x') + 'PONG\r\n');
    });

    test('wildcard-looking tokens that are literal, and wildcard queue names, are accepted', async () => {
      await keepsWith(CONNECT + 'SUB foo.*bar 1\r\nSUB * 2\r\nSUB foo q.* 3\r\n', '');
    });
  });

  describe('CONNECT validation (connection closed)', { timeout: 60_000 }, () => {
    test("no_responders without headers: -ERR 'no responders requires headers support'", async () => {
      await closesWith('CONNECT {"verbose":false,"no_responders":true}\r\nPING\r\n', "-ERR 'no responders requires headers support'\r\n");
    });

    test('no_responders with headers:false', async () => {
      await closesWith(
        'CONNECT {"verbose":false,"no_responders":true,"headers":false}\r\nPING\r\n',
        "-ERR 'no responders requires headers support'\r\n",
      );
    });

    test('no_responders with headers:true is fine', async () => {
      await keepsWith('CONNECT {"verbose":false,"no_responders":true,"headers":true}\r\n', '');
    });

    test("protocol 2: -ERR 'invalid client protocol'", async () => {
      await closesWith('CONNECT {"verbose":false,"protocol":2}\r\nPING\r\n', "-ERR 'invalid client protocol'\r\n");
    });

    test("protocol -1: -ERR 'invalid client protocol'", async () => {
      await closesWith('CONNECT {"verbose":false,"protocol":-1}\r\nPING\r\n', "-ERR 'invalid client protocol'\r\n");
    });

    test('protocol 0 and 1 are accepted', async () => {
      await keepsWith('CONNECT {"verbose":false,"protocol":0}\r\n', '');
      const c = await open();
      await c.send('CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
      await c.expect('PONG\r\n');
      await c.expect(/^INFO \{[^\r\n]*\} ?\r\n/);
    });

    test('a verbose CONNECT that fails validation gets no +OK', async () => {
      await closesWith('CONNECT {"verbose":true,"protocol":5}\r\n', "-ERR 'invalid client protocol'\r\n");
    });
  });
});
