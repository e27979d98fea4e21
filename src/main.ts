// The `myelin` command: nats-server's command line, config file and signals, in front of Server.

import { FlagError, parseFlags, reportFlagError, type FlagParseResult } from './config/flags.js';
import { buildOptions, OptionsError, validateOptions, type Options } from './config/options.js';
import { loadConfigFile } from './config/config-file.js';
import { parseConfigFile } from './config/config-syntax.js';
import { configDigest } from './config/config-digest.js';
import { buildAuthConfig, type AuthConfig } from './auth/config.js';
import { tlsHelpText, usageText, versionText } from './config/usage.js';
import { Logger } from './log.js';
import {
  executableBaseName,
  goPathError,
  goStdLogTime,
  listenerUrls,
  portsFilePath,
  removePortsFile,
  setProcessTitle,
  writePidFile,
  writePortsFile,
  type PortsInfo,
} from './process/files.js';
import { sendSignal } from './process/signal.js';
import { loggerOptions, loggingWarnings } from './process/log-options.js';
import { Server, WebSocketListenError } from './server.js';
import { startMonitoring, type RunningMonitor } from './monitor/start.js';
import { loadTlsSettings, type TlsSettings } from './net/tls-settings.js';
import { MYELIN_VERSION, NATS_SERVER_LEVEL } from './version.js';
import { planReload } from './config/reload.js';
import { configFileDigest } from './config/config-digest.js';
import { runArchiveCommand } from './archive/command.js';

export function main(argv: string[]): void {
  const exe = executableBaseName();
  if (argv[0] === 'archive') {
    void runArchiveCommand(argv.slice(1), exe).then((code) => process.exit(code));
    return;
  }
  let parsed: FlagParseResult;
  try {
    parsed = parseFlags(argv);
  } catch (err) {
    if (err instanceof FlagError) process.exit(reportFlagError(err, exe));
    throw err;
  }

  const action = parsed.action;
  if (action === 'help') return void process.stdout.write(`${usageText(exe)}\n`);
  if (action === 'version') return void process.stdout.write(`${versionText()}\n`);
  if (action === 'help_tls') return void process.stdout.write(`${tlsHelpText()}\n`);
  if (typeof action === 'object') {
    process.exit(sendSignal(action.signal, action.pid, exe));
  }

  let options: Options;
  let auth: AuthConfig;
  let tls: TlsSettings | undefined;
  let warnings: string[] = [];
  const testing = action === 'test_config';
  try {
    const configFile = parsed.options.configFile ?? '';
    const fromFile = configFile !== '' ? loadConfigFile(configFile) : { options: {}, warnings: [], auth: undefined };
    // nats-server's -t fails on the file's warnings (it checks pedantically), each on its own line.
    if (testing && fromFile.warnings.length > 0) throw new Error(fromFile.warnings.map((w) => `${w}\n`).join(''));
    warnings = fromFile.warnings;
    options = buildOptions(fromFile.options, parsed.options);
    // -t checks the file, not the option limits nats-server applies at startup.
    if (!testing) warnings.push(...validateOptions(options));
    const built = buildAuthConfig(fromFile.auth, parsed.options, { tlsMap: options.tls && options.tlsMap });
    auth = built.config;
    warnings.push(...built.warnings);
    tls = loadTlsSettings(options);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${exe}: ${message}\n`);
    process.exit(1);
  }

  if (testing) {
    const digest = configDigest(parseConfigFile(options.configFile));
    process.stderr.write(`${exe}: configuration file ${options.configFile} is valid (${digest})\n`);
    return;
  }
  run(options, auth, tls, warnings, exe, parsed.options).catch((err: unknown) => {
    process.stderr.write(`${exe}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

async function run(
  options: Options,
  auth: AuthConfig,
  tls: TlsSettings | undefined,
  warnings: string[],
  exe: string,
  flags: Partial<Options>,
): Promise<void> {
  setProcessTitle(exe);
  let log: Logger;
  try {
    log = new Logger(loggerOptions(options));
  } catch (err) {
    // nats-server cannot open its log file before it has a logger either: Go's log.Fatalf, exit 1.
    process.stderr.write(`${goStdLogTime()}error opening file: ${goPathError(err)}\n`);
    process.exit(1);
  }
  warnings.push(...loggingWarnings(options));
  const server = new Server(options, log, auth, tls);

  log.info('Starting myelin');
  log.info(`  Version:  ${MYELIN_VERSION} (nats-server ${NATS_SERVER_LEVEL} compatible)`);
  log.info(`  Name:     ${server.serverName}`);
  log.info(`  ID:       ${server.serverId}`);
  if (options.configFile !== '') {
    server.configDigest = configFileDigest(options.configFile);
    log.info(`Using configuration file: ${options.configFile} (${server.configDigest})`);
  }
  for (const w of warnings) log.warn(w);
  if (options.pidFile !== '') {
    try {
      writePidFile(options.pidFile);
    } catch (err) {
      log.fatal(`Could not write pidfile: ${goPathError(err)}`);
      process.exit(1);
    }
  }

  try {
    await server.start();
  } catch (err) {
    if (err instanceof WebSocketListenError) log.fatal(err.message);
    else log.fatal(`Error listening on port: ${options.host}:${options.port}, "${err instanceof Error ? err.message : String(err)}"`);
    process.exit(1);
  }
  let monitor: RunningMonitor | undefined;
  try {
    monitor = await startMonitoring(server, options, log);
  } catch (err) {
    log.fatal(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
  const wsPort = server.websocketPort;
  if (wsPort !== undefined) {
    log.info(`Listening for websocket clients on ws://${hostPort(options.websocket.host, wsPort)}`);
    log.warn('Websocket not configured with TLS. DO NOT USE IN PRODUCTION!');
    log.debug(`Websocket listener: ${server.websocketImplementation === 'uws' ? 'uWebSockets.js' : 'ws'}`);
  }
  if (monitor !== undefined && server.system !== undefined) {
    const http = monitor.server;
    server.system.varzContext = () => http.varzContext();
  }
  log.info(`Listening for client connections on ${hostPort(options.host, server.port)}`);
  if (tls !== undefined) log.info('TLS required for client connections');
  let portsFileDir = options.portsFileDir;
  const writePorts = (): void => {
    if (portsFileDir === '') return;
    // nats-server's Ports fields: each listener that is on adds its URLs.
    const ports: PortsInfo = {
      nats: listenerUrls('nats', options.host, server.port),
      monitoring: monitor?.urls,
      ...(wsPort !== undefined ? { websocket: listenerUrls('ws', options.websocket.host, wsPort) } : {}),
    };
    try {
      writePortsFile(portsFileDir, ports);
    } catch (err) {
      // As in nats-server: reported, and the server keeps running.
      log.error(`Error writing ports file (${portsFilePath(portsFileDir)}): ${goPathError(err)}`);
    }
  };

  const cleanup = (): void => {
    void monitor?.server.close();
    if (portsFileDir !== '') {
      try {
        removePortsFile(portsFileDir);
      } catch (err) {
        log.error(`Error cleaning up ports file ${portsFilePath(portsFileDir)}: ${goPathError(err)}`);
      }
    }
    // nats-server leaves the pid file in place at shutdown; so does Myelin.
  };
  const stop = (signalName: string) => (): void => {
    if (signalName === 'terminated' && server.isLameDuck) {
      log.info(`Trapped "${signalName}" signal, ignored while in lame duck mode`);
      return;
    }
    log.info(`Trapped "${signalName}" signal`);
    void server.shutdown().then(() => {
      cleanup();
      process.exit(0);
    });
  };
  process.on('SIGINT', stop('interrupt'));
  process.on('SIGTERM', stop('terminated'));
  process.on('SIGUSR2', () => {
    log.info('Trapped "user defined signal 2" signal');
    void server.enterLameDuckMode().then(() => {
      cleanup();
      process.exit(0);
    });
  });
  // Config reload (SIGHUP, `--signal reload`), one at a time, as nats-server logs and applies it.
  let currentAuth = auth;
  let currentTls = tls;
  let reloading = Promise.resolve();
  const reload = async (): Promise<void> => {
    let plan;
    try {
      plan = planReload(server.options, currentAuth, currentTls, flags, server.port);
    } catch (err) {
      log.error(`Failed to reload server configuration: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const change of plan.changes) {
      if (change.startsWith('max_connections = ')) {
        const closed = await server.enforceMaxConnections(plan.options.maxConnections);
        if (closed > 0) log.info(`Closed ${closed} connections to fall within max_connections`);
      }
      log.info(`Reloaded: ${change}`);
    }
    if (plan.options.pidFile !== server.options.pidFile && plan.options.pidFile !== '') writePidFile(plan.options.pidFile);
    if (plan.options.portsFileDir !== portsFileDir) {
      if (portsFileDir !== '') {
        try {
          removePortsFile(portsFileDir);
        } catch (err) {
          log.error(`Error cleaning up ports file ${portsFilePath(portsFileDir)}: ${goPathError(err)}`);
        }
      }
      portsFileDir = plan.options.portsFileDir;
      writePorts();
    }
    if (plan.loggingChanged) log.reconfigure(loggerOptions(plan.options));
    await server.reload(plan.options, plan.auth, plan.tls, plan.loggingChanged);
    currentAuth = plan.auth;
    currentTls = plan.tls;
    server.configDigest = plan.digest;
    log.info(`Reloaded server configuration (${plan.digest})`);
  };
  process.on('SIGHUP', () => {
    log.info('Trapped "hangup" signal');
    reloading = reloading
      .then(reload)
      .catch((err: unknown) => log.error(`Failed to reload server configuration: ${err instanceof Error ? err.message : String(err)}`));
  });
  process.on('SIGUSR1', () => {
    log.info('Trapped "user defined signal 1" signal');
    if (!log.toFile) return log.info('File log re-open ignored, not a file logger');
    try {
      log.reopen();
      server.reopenWorkerLogs();
      log.info('File log re-opened');
    } catch (err) {
      log.error(`Unable to re-open the log file: ${err instanceof Error ? err.message : String(err)}`);
    }
  });

  // Signal handlers are in place before anyone can see the server as ready (the ports file).
  writePorts();
  log.info('Server is ready');
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export { Server };
export type { Options };
