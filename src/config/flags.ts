// Command line parsing with the rules of Go's `flag` package, because nats-server uses it
// and scripts written for nats-server must behave the same against Myelin:
//   * `-x` and `--x` name the same flag, and every flag name is a single token, so
//     `-js`, `-sd`, `-DV` are flags of their own, never bundles of one-letter flags;
//   * a value follows as `-p 4222`, `-p=4222` or `--port=4222`; the next argument is taken
//     as the value even if it starts with '-' (`-p -1`);
//   * boolean flags take no separate value but accept `-T=false`;
//   * parsing stops at the first argument that is not a flag, or after `--`.
// After the flags, nats-server accepts one positional command: `version` or `help`.

import type { Options } from './options.js';
import { parseGoBool, parseGoInt } from './go-flag-values.js';
import { usageText } from './usage.js';

/**
 * What the process should do once the command line is understood:
 * - 'run': start the server;
 * - 'help' | 'version' | 'help_tls': print the matching text (see usage.ts) and exit 0;
 * - 'test_config': check the file named by options.configFile and exit;
 * - { signal, pid }: send `signal` (ldm, stop, quit, term, reopen, reload) to a running
 *   server; `pid` is whatever followed '=' in `-sl signal=pid` (a pid, a pid file, or undefined).
 */
export type FlagAction =
  | 'run'
  | 'help'
  | 'version'
  | 'help_tls'
  | 'test_config'
  | { signal: string; pid: string | undefined };

export interface FlagParseResult {
  /** Only the options named on the command line, with their parsed values. */
  options: Partial<Options>;
  /**
   * The option keys set on the command line. These override the config file, including
   * "negative" settings such as `-T=false` (nats-server re-applies the flags after the file).
   */
  explicit: Set<keyof Options>;
  action: FlagAction;
  /** Arguments after the flags (at most a `version`/`help` command is meaningful). */
  args: string[];
}

/**
 * A command line that cannot be honoured. `showUsage` errors come from the flag syntax
 * itself and, like Go's flag package, are reported as the bare message followed by the
 * usage screen; the others are reported as `<program>: <message>`.
 */
export class FlagError extends Error {
  override name = 'FlagError';
  constructor(
    message: string,
    readonly showUsage: boolean,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * Exit status for flag syntax errors. Go's flag.ExitOnError would use 2, but nats-server exits 0 here,
 * because its usage function exits before the flag package can; scripts written against nats-server see 0,
 * so Myelin does the same.
 */
export const FLAG_SYNTAX_EXIT_CODE = 0;

type FlagKind = 'bool' | 'string' | 'int';

interface ParseState {
  options: Partial<Options>;
  explicit: Set<keyof Options>;
  showHelp: boolean;
  showVersion: boolean;
  showTLSHelp: boolean;
  checkConfig: boolean;
  signal: string;
}

interface FlagSpec {
  kind: FlagKind;
  apply(state: ParseState, value: string | number | boolean): void;
}

const FLAGS = new Map<string, FlagSpec>();

function define(names: string[], kind: FlagKind, apply: FlagSpec['apply']): void {
  for (const name of names) FLAGS.set(name, { kind, apply });
}

/** A flag that stores its value in one option. */
function option<K extends keyof Options>(names: string[], kind: FlagKind, key: K): void {
  define(names, kind, (state, value) => setOption(state, key, value as Options[K]));
}

function setOption<K extends keyof Options>(state: ParseState, key: K, value: Options[K]): void {
  state.options[key] = value;
  state.explicit.add(key);
}

// The flag set of nats-server's ConfigureOptions (server/opts.go), plus Myelin's --workers and --log_json.
define(['h', 'help'], 'bool', (s, v) => { s.showHelp = v as boolean; });
define(['v', 'version'], 'bool', (s, v) => { s.showVersion = v as boolean; });
define(['help_tls'], 'bool', (s, v) => { s.showTLSHelp = v as boolean; });
define(['t'], 'bool', (s, v) => { s.checkConfig = v as boolean; });
define(['sl', 'signal'], 'string', (s, v) => { s.signal = v as string; });
option(['p', 'port'], 'int', 'port');
option(['n', 'name', 'server_name'], 'string', 'serverName');
option(['a', 'addr', 'net'], 'string', 'host');
option(['client_advertise'], 'string', 'clientAdvertise');
option(['D', 'debug'], 'bool', 'debug');
option(['V', 'trace'], 'bool', 'trace');
define(['VV'], 'bool', (s, v) => {
  setOption(s, 'trace', v as boolean);
  setOption(s, 'traceVerbose', v as boolean);
});
define(['DV'], 'bool', (s, v) => {
  setOption(s, 'debug', v as boolean);
  setOption(s, 'trace', v as boolean);
});
define(['DVV'], 'bool', (s, v) => {
  setOption(s, 'debug', v as boolean);
  setOption(s, 'trace', v as boolean);
  setOption(s, 'traceVerbose', v as boolean);
});
option(['T', 'logtime'], 'bool', 'logtime');
option(['logtime_utc'], 'bool', 'logtimeUTC');
option(['user'], 'string', 'username');
option(['pass'], 'string', 'password');
option(['auth'], 'string', 'authorization');
option(['m', 'http_port'], 'int', 'httpPort');
option(['ms', 'https_port'], 'int', 'httpsPort');
option(['c', 'config'], 'string', 'configFile');
option(['P', 'pid'], 'string', 'pidFile');
option(['ports_file_dir'], 'string', 'portsFileDir');
option(['l', 'log'], 'string', 'logFile');
option(['log_size_limit'], 'int', 'logSizeLimit');
option(['log_json'], 'bool', 'logJson');
option(['s', 'syslog'], 'bool', 'syslog');
option(['r', 'remote_syslog'], 'string', 'remoteSyslog');
option(['profile'], 'int', 'profPort');
option(['routes'], 'string', 'routes');
option(['cluster', 'cluster_listen'], 'string', 'clusterListen');
option(['cluster_advertise'], 'string', 'clusterAdvertise');
option(['no_advertise'], 'bool', 'clusterNoAdvertise');
option(['connect_retries'], 'int', 'clusterConnectRetries');
option(['cluster_name'], 'string', 'clusterName');
option(['tls'], 'bool', 'tls');
option(['tlsverify'], 'bool', 'tlsVerify');
option(['tlscert'], 'string', 'tlsCert');
option(['tlskey'], 'string', 'tlsKey');
option(['tlscacert'], 'string', 'tlsCaCert');
option(['max_traced_msg_len'], 'int', 'maxTracedMsgLen');
option(['js', 'jetstream'], 'bool', 'jetstream');
option(['sd', 'store_dir'], 'string', 'storeDir');
option(['workers'], 'int', 'workers');

/**
 * Parses the arguments after the program name (process.argv.slice(2)).
 * Throws FlagError for anything nats-server would refuse; print it with reportFlagError.
 */
export function parseFlags(argv: readonly string[]): FlagParseResult {
  const state: ParseState = {
    options: {},
    explicit: new Set(),
    showHelp: false,
    showVersion: false,
    showTLSHelp: false,
    checkConfig: false,
    signal: '',
  };
  const args = parseFlagTokens(argv, state);
  return { options: state.options, explicit: state.explicit, action: decideAction(state, args), args };
}

/** Applies every flag to `state` and returns the arguments left after them. */
function parseFlagTokens(argv: readonly string[], state: ParseState): string[] {
  let i = 0;
  while (i < argv.length) {
    const token = argv[i];
    if (token.length < 2 || token[0] !== '-') break; // first non-flag; "-" alone is one too
    let body = token.slice(1);
    if (body[0] === '-') {
      if (body.length === 1) {
        i++; // "--" ends the flags and is consumed
        break;
      }
      body = body.slice(1);
    }
    if (body === '' || body[0] === '-' || body[0] === '=') {
      throw syntaxError(`bad flag syntax: ${token}`);
    }
    i++;

    // The name ends at the first '=' after its first character.
    const eq = body.indexOf('=', 1);
    const name = eq < 0 ? body : body.slice(0, eq);
    let value = eq < 0 ? undefined : body.slice(eq + 1);

    const spec = FLAGS.get(name);
    if (spec === undefined) throw syntaxError(`flag provided but not defined: -${name}`);

    if (spec.kind === 'bool') {
      const parsed = value === undefined ? true : parseGoBool(value);
      if (typeof parsed === 'string') {
        throw syntaxError(`invalid boolean value ${goQuote(value ?? '')} for -${name}: ${parsed}`);
      }
      spec.apply(state, parsed);
      continue;
    }

    if (value === undefined) {
      if (i >= argv.length) throw syntaxError(`flag needs an argument: -${name}`);
      value = argv[i++];
    }
    if (spec.kind === 'int') {
      const parsed = parseGoInt(value);
      if (typeof parsed === 'string') {
        throw syntaxError(`invalid value ${goQuote(value)} for flag -${name}: ${parsed}`);
      }
      spec.apply(state, parsed);
    } else {
      spec.apply(state, value);
    }
  }
  return argv.slice(i);
}

/** The precedence nats-server's ConfigureOptions gives to the things a command line can ask. */
function decideAction(state: ParseState, args: readonly string[]): FlagAction {
  if (state.showVersion) return 'version';
  if (state.showHelp) return 'help';
  if (state.showTLSHelp) return 'help_tls';

  if (args.length > 0) {
    switch (args[0].toLowerCase()) {
      case 'version':
        return 'version';
      case 'help':
        return 'help';
      default:
        throw new FlagError(`unrecognized command: ${goQuote(args[0])}`, false, 1);
    }
  }

  if (state.signal !== '') {
    const parts = state.signal.split('=');
    if (parts.length > 2) {
      throw new FlagError(`invalid signal parameters: [${parts.slice(2).join(' ')}]`, false, 1);
    }
    return { signal: parts[0], pid: parts[1] };
  }

  if (state.checkConfig) {
    if (!state.options.configFile) {
      throw new FlagError('must specify [-c, --config] option to check configuration file syntax', false, 1);
    }
    return 'test_config';
  }
  return 'run';
}

/** Where reportFlagError writes; defaults to the process streams. */
export interface FlagErrorOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: FlagErrorOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * Prints a FlagError the way nats-server does (syntax errors: message on stderr, then the
 * usage screen on stdout; other errors: `<program>: <message>` on stderr) and returns the
 * exit status to use.
 */
export function reportFlagError(err: FlagError, programName: string, out: FlagErrorOutput = processOutput): number {
  if (err.showUsage) {
    out.stderr(`${err.message}\n`);
    out.stdout(`${usageText(programName)}\n`);
  } else {
    out.stderr(`${programName}: ${err.message}\n`);
  }
  return err.exitCode;
}

function syntaxError(message: string): FlagError {
  return new FlagError(message, true, FLAG_SYNTAX_EXIT_CODE);
}

/** Go's %q for the plain strings that show up in flag errors. */
function goQuote(text: string): string {
  return JSON.stringify(text);
}
