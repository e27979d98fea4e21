// One server for a whole trace suite, started with the given extra flags (suite-level before/after).
import { before, after } from 'node:test';
import { startServer, type ServerHandle } from '../helpers/server.js';

export { checkFor } from '../helpers/server.js';

export function useWireServerOnce(args: string[]): () => ServerHandle {
  let srv: ServerHandle | undefined;
  before(async () => {
    srv = await startServer({ args });
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
