// Messages between the main thread and the data workers. They are per connection or per command, never
// per message: published messages travel between workers inside the Rust router.

import type { EngineHostSettings } from '../conn/engine-host.js';
import type { EngineStats } from '../native/index.js';
import type { HostSnapshot, MonitorQuery } from '../monitor/snapshot.js';
import type { ClientEvent } from '../system/client-event.js';

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
  | { type: 'monitor'; id: number; query: MonitorQuery };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'closed'; cid: number }
  | { type: 'client-event'; event: ClientEvent }
  | { type: 'clients-closed' }
  | { type: 'rotate-log' }
  | { type: 'shut-down' }
  | { type: 'stats'; id: number; stats: EngineStats & { connections: number } }
  | { type: 'monitor'; id: number; snapshot: HostSnapshot };
