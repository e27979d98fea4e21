// Messages between the main thread and the data workers. They are per connection or per command, never
// per message: published messages travel between workers inside the Rust router.

import type { EngineHostSettings } from '../conn/engine-host.js';
import type { EngineStats } from '../native/index.js';
import type { HostSnapshot, MonitorQuery } from '../monitor/snapshot.js';
import type { ClientEvent } from '../system/client-event.js';
import type { Options } from '../config/options.js';
import type { AuthConfig } from '../auth/config.js';
import type { TlsSettings } from '../net/tls-settings.js';

export interface WorkerInit {
  settings: EngineHostSettings;
}

export type ToWorker =
  | { type: 'adopt'; fd: number; cid: number }
  | { type: 'lame-duck' }
  | { type: 'close-clients'; windowMs: number }
  | { type: 'shutdown' }
  | { type: 'reopen-log' }
  | { type: 'stats'; id: number }
  | { type: 'monitor'; id: number; query: MonitorQuery }
  /** Config reload: the new options and authorization; `logging` says the logger must be rebuilt first. */
  | { type: 'reload'; options: Options; auth: AuthConfig | undefined; tls: TlsSettings | undefined; logging: boolean }
  /** max_connections was lowered by a reload: close up to `count` clients. */
  | { type: 'close-excess'; count: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'closed'; cid: number }
  | { type: 'client-event'; event: ClientEvent }
  | { type: 'clients-closed' }
  | { type: 'rotate-log' }
  | { type: 'shut-down' }
  /** The reload is applied and every client of the worker was checked again. */
  | { type: 'reloaded' }
  | { type: 'closed-excess'; closed: number }
  | { type: 'stats'; id: number; stats: EngineStats & { connections: number } }
  | { type: 'monitor'; id: number; snapshot: HostSnapshot };
