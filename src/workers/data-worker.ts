// A data worker thread: it owns an EngineHost with its share of the client connections. The main thread
// accepts connections and hands each one over as a duplicated file descriptor; this thread wraps it in a
// net.Socket, so from then on the connection is read, parsed and written here only.

import { parentPort, workerData } from 'node:worker_threads';

import { EngineHost } from '../conn/engine-host.js';
import { Logger } from '../log.js';
import { loggerOptions } from '../process/log-options.js';
import type { ToWorker, WorkerInit } from './messages.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error('data-worker must run as a worker thread');

const o = init.settings.options;
// Only the main thread renames the log file when it is too big; this thread asks it to.
const workerLoggerOptions = (options: typeof o) => ({
  ...loggerOptions(options),
  onRotateNeeded: () => port.postMessage({ type: 'rotate-log' }),
});
const log = new Logger(workerLoggerOptions(o));
const host = new EngineHost(init.settings, log);
host.onConnectionClosed = (cid) => port.postMessage({ type: 'closed', cid });
// The system account's service runs on the main thread.
host.onClientEvent = (event) => port.postMessage({ type: 'client-event', event });

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'adopt': {
      host.adoptFd(msg.fd, msg.cid);
      break;
    }
    case 'lame-duck':
      host.announceLameDuck();
      break;
    case 'close-clients':
      void host.closeClientsSpread(msg.windowMs, () => false).then(() => port.postMessage({ type: 'clients-closed' }));
      break;
    case 'shutdown':
      void host.shutdown().then(() => {
        port.postMessage({ type: 'shut-down' });
        port.close();
        process.exit(0);
      });
      break;
    case 'reopen-log':
      try {
        log.reopen();
      } catch (err) {
        // Keep serving (and writing to the old handle); the main thread reports its own failure the same way.
        log.error(`Unable to re-open the log file: ${err instanceof Error ? err.message : String(err)}`);
      }
      break;
    case 'stats':
      port.postMessage({ type: 'stats', id: msg.id, stats: host.stats() });
      break;
    case 'reload':
      if (msg.logging) log.reconfigure(workerLoggerOptions(msg.options));
      // Always answered, so the main thread's reload completes even if this thread's part failed.
      void host
        .reload(msg.options, msg.auth, msg.tls)
        .catch((err: unknown) => log.error(`Reload failed on this thread: ${err instanceof Error ? err.message : String(err)}`))
        .then(() => port.postMessage({ type: 'reloaded' }));
      break;
    case 'close-excess':
      port.postMessage({ type: 'closed-excess', closed: host.closeExcess(msg.count) });
      break;
    case 'monitor':
      port.postMessage({ type: 'monitor', id: msg.id, snapshot: host.monitorSnapshot(msg.query) });
      break;
  }
});
port.postMessage({ type: 'ready' });
