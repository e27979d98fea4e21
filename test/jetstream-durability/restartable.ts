// A JetStream server (Myelin, or nats-server with NATS_SERVER_BIN) that can be killed and started again on
// the same store directory, and the publish loop the kill lands in.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { startServer, type ServerHandle } from '../helpers/server.js';

export interface Running {
  srv: ServerHandle;
  nc: NatsConnection;
  jsm: JetStreamManager;
}

export class RestartableServer {
  readonly storeDir = mkdtempSync(join(tmpdir(), 'myelin-jsd-'));
  private current: Running | undefined;

  /**
   * `jetstreamBlock`: extra lines for a `jetstream {}` config block (e.g. `sync_interval: always`);
   * `extraConfig`: more config after it (e.g. `accounts {}`); `login`: the test connection's credentials.
   */
  constructor(
    private readonly jetstreamBlock = '',
    private readonly extraConfig = '',
    private readonly login: Partial<ConnectionOptions> = {},
  ) {}

  async start(): Promise<Running> {
    await this.stop('SIGKILL'); // never two servers on one store
    const config =
      this.jetstreamBlock !== '' || this.extraConfig !== ''
        ? `jetstream {\n  store_dir: ${JSON.stringify(this.storeDir)}\n  ${this.jetstreamBlock}\n}\n${this.extraConfig}`
        : undefined;
    // nats-server refuses store_dir given twice (flag and config), so with a config the flag is left out.
    const srv = await startServer(config !== undefined ? { args: ['-js'], config } : { args: ['-js', '-sd', this.storeDir] });
    const nc = await connect({ ...this.login, servers: srv.url, reconnect: false });
    this.current = { srv, nc, jsm: await jetstreamManager(nc) };
    return this.current;
  }

  /** Stop the running server with `signal` (SIGKILL: no chance to flush or close anything). */
  async stop(signal: NodeJS.Signals): Promise<void> {
    const r = this.current;
    if (r === undefined) return;
    this.current = undefined;
    await r.srv.stop(signal);
    await r.nc.closed();
    r.srv.cleanup();
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

export interface Acked {
  seq: number;
  data: string;
}

/**
 * Publish `<prefix>-<i>` to `subject` one at a time, awaiting each ack, and SIGKILL the server (without
 * waiting) once `killAfter` acks arrived, so the kill lands while publishes are in flight. Returns every
 * publish that was acknowledged, the ones acked while the server was dying included.
 */
export async function publishIntoKill(rs: RestartableServer, r: Running, subject: string, prefix: string, killAfter: number): Promise<Acked[]> {
  const js = jetstream(r.nc);
  const acked: Acked[] = [];
  let killed: Promise<void> | undefined;
  for (let i = 0; i < killAfter * 20; i++) {
    const data = `${prefix}-${i}`;
    try {
      const pa = await js.publish(subject, data, { timeout: 5000 });
      acked.push({ seq: pa.seq, data });
    } catch {
      break; // the server is gone
    }
    if (acked.length === killAfter) killed = rs.stop('SIGKILL');
  }
  await (killed ?? rs.stop('SIGKILL'));
  return acked;
}
