// The Logger settings an Options value implies. Main thread and data workers build their loggers from the
// same options, so they write the same format to the same place.

import type { LoggerOptions } from '../log.js';
import type { Options } from '../config/options.js';

export function loggerOptions(o: Options): LoggerOptions {
  return {
    logtime: o.logtime,
    logtimeUTC: o.logtimeUTC,
    debug: o.debug,
    trace: o.trace,
    logFile: o.logFile,
    sizeLimit: o.logSizeLimit,
    maxFiles: o.logMaxFiles,
    json: o.logJson,
  };
}

/** Warnings for logging options nats-server has and Myelin accepts without acting on them. */
export function loggingWarnings(o: Options): string[] {
  const warnings: string[] = [];
  if (o.syslog && o.logFile === '') {
    warnings.push('Logging to syslog (-s, syslog) is not supported by Myelin; logging to stderr instead');
  }
  if (o.remoteSyslog !== '' && o.logFile === '') {
    warnings.push('Logging to a remote syslog (-r, remote_syslog) is not supported by Myelin; logging to stderr instead');
  }
  if (o.logSizeLimit > 0 && o.logFile === '') warnings.push('log_size_limit has no effect without a log file (-l)');
  return warnings;
}
