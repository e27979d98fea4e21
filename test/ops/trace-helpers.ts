// One server for a whole trace suite, started with the given flags or config (suite-level before/after).
import { before, after } from 'node:test';
import { startServer, type ServerHandle, type StartOptions } from '../helpers/server.js';

export { checkFor } from '../helpers/server.js';

export function useWireServerOnce(options: StartOptions): () => ServerHandle {
  let srv: ServerHandle | undefined;
  before(async () => {
    srv = await startServer(options);
  });
  after(async () => {
    await srv?.stop();
    srv?.cleanup();
  });
  return () => {
    if (srv === undefined) throw new Error('server not started');
    return srv;
  };
}
