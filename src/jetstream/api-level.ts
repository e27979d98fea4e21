// The one constant both the API router and the asset versioning metadata (versioning.ts) report.

/**
 * The JetStream API level Myelin implements, reported in `$JS.API.INFO` and checked against a request's
 * `Nats-Required-Api-Level`. nats-server's levels (server/jetstream_versioning.go): 0 is 2.10's feature set;
 * 1 (2.11) adds per-message TTL (`allow_msg_ttl`, `Nats-TTL`), `subject_delete_marker_ttl`, consumer
 * `pause_until` and priority groups; 2 (2.12) adds counters, atomic batch publish, message schedules and
 * `persist_mode: async`; 2.12.15 reports 3 (fast batch publish, `allow_batched`), 2.14 reports 4. Myelin has
 * everything up to level 2 (ttl.ts, pause.ts, priority.ts, batch.ts, counter.ts, schedules.ts), which
 * natscli's `bench js pub --create` asks for (it sets `allow_atomic` or `persist_mode`).
 */
export const API_LEVEL = 2;
