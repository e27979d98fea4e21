// Command line parsing: Go flag package rules and nats-server's flag set.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { FlagError, FLAG_SYNTAX_EXIT_CODE, parseFlags, reportFlagError } from '../../src/config/flags.js';
import { buildOptions, DEFAULT_PORT, OptionsError, validateOptions, defaultOptions } from '../../src/config/options.js';
import { usageText, versionText } from '../../src/config/usage.js';
import { MYELIN_VERSION, NATS_SERVER_LEVEL } from '../../src/version.js';

function flagError(argv: string[]): FlagError {
  try {
    parseFlags(argv);
  } catch (err) {
    assert.ok(err instanceof FlagError, `expected FlagError, got ${String(err)}`);
    return err;
  }
  assert.fail(`parseFlags(${JSON.stringify(argv)}) did not throw`);
}

test('no arguments: run with nothing set', () => {
  const r = parseFlags([]);
  assert.equal(r.action, 'run');
  assert.deepEqual(r.options, {});
  assert.equal(r.explicit.size, 0);
});

test('single and double dash name the same flag', () => {
  assert.equal(parseFlags(['-p', '5']).options.port, 5);
  assert.equal(parseFlags(['--p', '5']).options.port, 5);
  assert.equal(parseFlags(['-port', '5']).options.port, 5);
  assert.equal(parseFlags(['--port', '5']).options.port, 5);
});

test('values as separate argument or after =', () => {
  assert.equal(parseFlags(['--port=5']).options.port, 5);
  assert.equal(parseFlags(['-p=7']).options.port, 7);
  assert.equal(parseFlags(['-a', '127.0.0.1']).options.host, '127.0.0.1');
  assert.equal(parseFlags(['--net=::1']).options.host, '::1');
  // Only the first '=' separates; the value keeps the rest.
  assert.equal(parseFlags(['--name=a=b']).options.serverName, 'a=b');
});

test('-p -1 takes -1 as the value (random port)', () => {
  const r = parseFlags(['-p', '-1']);
  assert.equal(r.options.port, -1);
  assert.equal(r.action, 'run');
});

test('integers follow strconv.ParseInt base 0', () => {
  assert.equal(parseFlags(['-p', '0x10']).options.port, 16);
  assert.equal(parseFlags(['-p', '010']).options.port, 8);
  assert.equal(parseFlags(['-p', '0b11']).options.port, 3);
  assert.equal(parseFlags(['-p', '4_222']).options.port, 4222);
  assert.equal(parseFlags(['-p', '+5']).options.port, 5);
  assert.equal(flagError(['-p', 'abc']).message, 'invalid value "abc" for flag -p: parse error');
  assert.equal(flagError(['-p', '08']).message, 'invalid value "08" for flag -p: parse error');
  assert.equal(flagError(['--port=']).message, 'invalid value "" for flag -port: parse error');
  assert.equal(
    flagError(['-p', '99999999999999999999']).message,
    'invalid value "99999999999999999999" for flag -p: value out of range',
  );
});

test('multi-letter short flags are single flags, never bundles', () => {
  const js = parseFlags(['-js']);
  assert.equal(js.options.jetstream, true);
  assert.ok(!js.explicit.has('trace'));
  assert.equal(parseFlags(['-sd', '/data']).options.storeDir, '/data');
  assert.equal(parseFlags(['-ms', '8443']).options.httpsPort, 8443);
  assert.equal(parseFlags(['-m', '8222']).options.httpPort, 8222);

  const dv = parseFlags(['-DV']);
  assert.equal(dv.options.debug, true);
  assert.equal(dv.options.trace, true);
  assert.equal(dv.options.traceVerbose, undefined);

  const vv = parseFlags(['-VV']);
  assert.equal(vv.options.trace, true);
  assert.equal(vv.options.traceVerbose, true);
  assert.equal(vv.options.debug, undefined);

  const dvv = parseFlags(['-DVV']);
  assert.deepEqual([dvv.options.debug, dvv.options.trace, dvv.options.traceVerbose], [true, true, true]);

  // "-Dx" is not "-D -x": it is an undefined flag named Dx.
  assert.equal(flagError(['-DX']).message, 'flag provided but not defined: -DX');
});

test('booleans take no separate value but accept =value', () => {
  const r = parseFlags(['-T=false', '-D']);
  assert.equal(r.options.logtime, false);
  assert.ok(r.explicit.has('logtime'));
  assert.equal(r.options.debug, true);
  for (const spelling of ['1', 't', 'T', 'TRUE', 'true', 'True']) {
    assert.equal(parseFlags([`--debug=${spelling}`]).options.debug, true, spelling);
  }
  for (const spelling of ['0', 'f', 'F', 'FALSE', 'false', 'False']) {
    assert.equal(parseFlags([`--logtime=${spelling}`]).options.logtime, false, spelling);
  }
  assert.equal(flagError(['-T=maybe']).message, 'invalid boolean value "maybe" for -T: parse error');
  // A boolean never consumes the next argument: "false" here is a positional argument.
  assert.equal(flagError(['-D', 'false']).message, 'unrecognized command: "false"');
});

test('-DV=false switches both off explicitly', () => {
  const r = parseFlags(['-DV=false']);
  assert.equal(r.options.debug, false);
  assert.equal(r.options.trace, false);
  assert.ok(r.explicit.has('debug') && r.explicit.has('trace'));
});

test('the last occurrence of a flag wins, whatever alias it uses', () => {
  assert.equal(parseFlags(['-p', '1', '--port', '2', '-p=3']).options.port, 3);
  assert.equal(parseFlags(['-n', 'a', '--server_name', 'b']).options.serverName, 'b');
});

test('parsing stops at the first non-flag or after --', () => {
  const stopped = parseFlags(['-p', '1', 'version', '-p', '2']);
  assert.equal(stopped.options.port, 1);
  assert.deepEqual(stopped.args, ['version', '-p', '2']);
  assert.equal(stopped.action, 'version');

  const dashed = parseFlags(['-D', '--', 'help']);
  assert.deepEqual(dashed.args, ['help']);
  assert.equal(dashed.action, 'help');

  assert.deepEqual(parseFlags(['--']).args, []);
  assert.equal(flagError(['-', '-p', '1']).message, 'unrecognized command: "-"');
});

test('unknown flags and malformed flags are Go-style usage errors', () => {
  const unknown = flagError(['-x']);
  assert.equal(unknown.message, 'flag provided but not defined: -x');
  assert.equal(unknown.showUsage, true);
  assert.equal(unknown.exitCode, FLAG_SYNTAX_EXIT_CODE);
  assert.equal(flagError(['--nope=1']).message, 'flag provided but not defined: -nope');
  assert.equal(flagError(['---p', '1']).message, 'bad flag syntax: ---p');
  assert.equal(flagError(['-=1']).message, 'bad flag syntax: -=1');
  assert.equal(flagError(['-p']).message, 'flag needs an argument: -p');
});

test('reportFlagError prints like nats-server', () => {
  const out: string[] = [];
  const err: string[] = [];
  const sink = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) };

  const code = reportFlagError(flagError(['-x']), 'myelin', sink);
  assert.equal(code, 0, "nats-server exits 0 after printing usage for a bad flag");
  assert.deepEqual(err, ['flag provided but not defined: -x\n']);
  assert.equal(out.join(''), `${usageText('myelin')}\n`);

  out.length = 0;
  err.length = 0;
  assert.equal(reportFlagError(flagError(['bogus']), 'myelin', sink), 1);
  assert.deepEqual(err, ['myelin: unrecognized command: "bogus"\n']);
  assert.deepEqual(out, []);
});

test('actions and their precedence', () => {
  assert.equal(parseFlags(['-h']).action, 'help');
  assert.equal(parseFlags(['--help']).action, 'help');
  assert.equal(parseFlags(['-v']).action, 'version');
  assert.equal(parseFlags(['--version']).action, 'version');
  assert.equal(parseFlags(['--help_tls']).action, 'help_tls');
  assert.equal(parseFlags(['-h', '-v']).action, 'version');
  assert.equal(parseFlags(['VERSION']).action, 'version');
  assert.equal(parseFlags(['Help']).action, 'help');
  assert.equal(parseFlags(['-c', 'a.conf', '-t']).action, 'test_config');
  assert.equal(
    flagError(['-t']).message,
    'must specify [-c, --config] option to check configuration file syntax',
  );
  assert.deepEqual(parseFlags(['-sl', 'ldm=1234']).action, { signal: 'ldm', pid: '1234' });
  assert.deepEqual(parseFlags(['--signal', 'reload']).action, { signal: 'reload', pid: undefined });
  assert.deepEqual(parseFlags(['--signal=stop=/run/x.pid', '-t']).action, { signal: 'stop', pid: '/run/x.pid' });
  assert.equal(flagError(['-sl', 'a=b=c=d']).message, 'invalid signal parameters: [c d]');
});

test('every documented flag is accepted', () => {
  const r = parseFlags([
    '-a', 'h', '-p', '1', '-n', 'n', '-P', 'pid', '-m', '2', '-ms', '3', '-c', 'c.conf',
    '--client_advertise', 'adv', '--ports_file_dir', 'dir', '-l', 'log', '-T', '-s', '-r', 'udp://x:514',
    '-D', '-V', '--log_size_limit', '1000', '--max_traced_msg_len', '64', '-js', '-sd', 'sd',
    '--user', 'u', '--pass', 'p', '--auth', 't', '--tls', '--tlscert', 'c', '--tlskey', 'k', '--tlsverify',
    '--tlscacert', 'ca', '--routes', 'nats://r:6222', '--cluster', 'nats://0.0.0.0:6222', '--cluster_name', 'cn',
    '--no_advertise', '--cluster_advertise', 'ca:1', '--connect_retries', '3', '--cluster_listen', 'nats://h:1',
    '--profile', '6060', '--workers', '4', '--logtime_utc',
  ]);
  assert.equal(r.action, 'run');
  assert.deepEqual(r.options, {
    host: 'h', port: 1, serverName: 'n', pidFile: 'pid', httpPort: 2, httpsPort: 3, configFile: 'c.conf',
    clientAdvertise: 'adv', portsFileDir: 'dir', logFile: 'log', logtime: true, syslog: true,
    remoteSyslog: 'udp://x:514', debug: true, trace: true, logSizeLimit: 1000, maxTracedMsgLen: 64,
    jetstream: true, storeDir: 'sd', username: 'u', password: 'p', authorization: 't', tls: true,
    tlsCert: 'c', tlsKey: 'k', tlsVerify: true, tlsCaCert: 'ca', routes: 'nats://r:6222',
    clusterListen: 'nats://h:1', clusterName: 'cn', clusterNoAdvertise: true, clusterAdvertise: 'ca:1',
    clusterConnectRetries: 3, profPort: 6060, workers: 4, logtimeUTC: true,
  });
  assert.deepEqual([...r.explicit].sort(), Object.keys(r.options).sort());
});

test('explicit flags override the config file, including negative booleans', () => {
  const flags = parseFlags(['-T=false', '-p', '5555']);
  const merged = buildOptions({ logtime: true, port: 4333, debug: true }, flags.options);
  assert.equal(merged.logtime, false);
  assert.equal(merged.port, 5555);
  assert.equal(merged.debug, true);
});

test('zero values fall back to defaults as in nats-server', () => {
  const merged = buildOptions({ pingMax: 0 }, parseFlags(['-p', '0']).options);
  assert.equal(merged.port, DEFAULT_PORT);
  assert.equal(merged.pingMax, 2);
  assert.equal(buildOptions({}, parseFlags(['-p', '-1']).options).port, -1);
});

test('validateOptions uses nats-server wording', () => {
  const opts = defaultOptions();
  assert.deepEqual(validateOptions(opts), []);
  assert.throws(
    () => validateOptions({ ...opts, maxPayload: 100 * 1024 * 1024 }),
    (err: unknown) =>
      err instanceof OptionsError && err.message === 'max_payload (104857600) cannot be higher than max_pending (67108864)',
  );
  assert.throws(
    () => validateOptions({ ...opts, lameDuckDuration: 40_000, lameDuckGracePeriod: 50_000 }),
    { message: 'lame duck grace period (50s) should be strictly lower than lame duck duration (40s)' },
  );
  assert.throws(() => validateOptions({ ...opts, serverName: 'a b' }), { message: 'server name cannot contain spaces' });
  assert.deepEqual(validateOptions({ ...opts, maxPayload: 9 * 1024 * 1024, maxPending: 1 << 30 }), [
    'Maximum payloads over 8.00 MB are generally discouraged and could lead to poor performance',
  ]);
});

test('-v text names the Myelin version and the nats-server level', () => {
  assert.equal(versionText(), `myelin: v${MYELIN_VERSION}`);
  assert.match(MYELIN_VERSION, /^\d+\.\d+\.\d+/);
  assert.equal(NATS_SERVER_LEVEL, '2.12.0');
});

test('usage lists every flag spelling of nats-server', () => {
  const usage = usageText('myelin');
  assert.ok(usage.startsWith('\nUsage: myelin [options]\n'));
  for (const section of ['Server Options:', 'Logging Options:', 'JetStream Options:', 'Authorization Options:',
    'TLS Options:', 'Cluster Options:', 'Profiling Options:', 'Common Options:']) {
    assert.ok(usage.includes(`\n${section}\n`), section);
  }
  for (const spelling of ['-a, --addr, --net <host>', '-p, --port <port>', '-n, --name', '--server_name <server_name>',
    '-P, --pid <file>', '-m, --http_port <port>', '-ms,--https_port <port>', '-c, --config <file>', '-t ',
    '-sl,--signal <signal>[=<pid>]', '--client_advertise <string>', '--ports_file_dir <dir>', '-l, --log <file>',
    '-T, --logtime', '-s, --syslog', '-r, --remote_syslog <addr>', '-D, --debug', '-V, --trace', '-VV ', '-DV ',
    '-DVV ', '--log_size_limit <limit>', '--max_traced_msg_len <len>', '-js, --jetstream', '-sd, --store_dir <dir>',
    '--user <user>', '--pass <password>', '--auth <token>', '--tls ', '--tlscert <file>', '--tlskey <file>',
    '--tlsverify', '--tlscacert <file>', '--routes <rurl-1, rurl-2>', '--cluster <cluster-url>',
    '--cluster_name <string>', '--no_advertise <bool>', '--cluster_advertise <string>', '--connect_retries <number>',
    '--cluster_listen <url>', '--profile <port>', '-h, --help', '-v, --version', '--help_tls', '--workers <number>']) {
    assert.ok(usage.includes(spelling), spelling);
  }
});
