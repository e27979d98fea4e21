// The JSON shapes nats-server v2.12 returns for the monitoring endpoints (keys and JSON types), read from
// the reference binary's responses for the setup in helpers.ts. Both servers must match them.

const traffic = { msgs: 'number', bytes: 'number' } as const;

export const VARZ = {
  server_id: 'string', server_name: 'string', version: 'string', proto: 'number', go: 'string', host: 'string',
  port: 'number', max_connections: 'number', ping_interval: 'number', ping_max: 'number', http_host: 'string',
  http_port: 'number', http_base_path: 'string', https_port: 'number', auth_timeout: 'number',
  max_control_line: 'number', max_payload: 'number', max_pending: 'number', cluster: {}, gateway: {}, leaf: {},
  mqtt: {}, websocket: {}, jetstream: {}, tls_timeout: 'number', write_deadline: 'number', start: 'string',
  now: 'string', uptime: 'string', mem: 'number', cores: 'number', gomaxprocs: 'number', cpu: 'number',
  connections: 'number', total_connections: 'number', routes: 'number', remotes: 'number', leafnodes: 'number',
  in_msgs: 'number', in_bytes: 'number', in_client_msgs: 'number', in_client_bytes: 'number', out_msgs: 'number',
  out_bytes: 'number', out_client_msgs: 'number', out_client_bytes: 'number', slow_consumers: 'number',
  stale_connections: 'number', stalled_clients: 'number', subscriptions: 'number', http_req_stats: {},
  config_load_time: 'string', config_digest: 'string', system_account: 'string',
  slow_consumer_stats: { clients: 'number', routes: 'number', gateways: 'number', leafs: 'number' },
  stale_connection_stats: { clients: 'number', routes: 'number', gateways: 'number', leafs: 'number' },
} as const;

export const CONNZ = {
  server_id: 'string', now: 'string', num_connections: 'number', total: 'number', offset: 'number', limit: 'number',
  connections: 'array',
} as const;

export const CONN_INFO = {
  cid: 'number', kind: 'string', type: 'string', ip: 'string', port: 'number', start: 'string',
  last_activity: 'string', rtt: 'string', uptime: 'string', idle: 'string', pending_bytes: 'number',
  in_msgs: 'number', out_msgs: 'number', in_bytes: 'number', out_bytes: 'number', subscriptions: 'number',
  name: 'string', lang: 'string', version: 'string',
} as const;

export const CLIENT_SUB_DETAIL = { subject: 'string', sid: 'string', msgs: 'number', cid: 'number' } as const;

export const SUBSZ = {
  server_id: 'string', now: 'string', num_subscriptions: 'number', num_cache: 'number', num_inserts: 'number',
  num_removes: 'number', num_matches: 'number', cache_hit_rate: 'number', max_fanout: 'number',
  avg_fanout: 'number', total: 'number', offset: 'number', limit: 'number',
} as const;

export const SUB_DETAIL = { account: 'string', account_tag: 'string', ...CLIENT_SUB_DETAIL } as const;

export const ROUTEZ = { server_id: 'string', server_name: 'string', now: 'string', num_routes: 'number', routes: 'array' } as const;
export const GATEWAYZ = { server_id: 'string', now: 'string', outbound_gateways: {}, inbound_gateways: {} } as const;
export const LEAFZ = { server_id: 'string', now: 'string', leafnodes: 'number', leafs: 'array' } as const;
export const ACCOUNTZ = { server_id: 'string', now: 'string', system_account: 'string', accounts: 'array' } as const;

export const ACCOUNT_DETAIL = {
  account_name: 'string', update_time: 'string', expired: 'boolean', complete: 'boolean',
  jetstream_enabled: 'boolean', leafnode_connections: 'number', client_connections: 'number',
  subscriptions: 'number', name_tag: 'string',
  sublist_stats: {
    num_subscriptions: 'number', num_cache: 'number', num_inserts: 'number', num_removes: 'number',
    num_matches: 'number', cache_hit_rate: 'number', max_fanout: 'number', avg_fanout: 'number',
  },
} as const;

export const ACCOUNT_STATZ = {
  acc: 'string', name: 'string', conns: 'number', leafnodes: 'number', total_conns: 'number',
  num_subscriptions: 'number',
  sent: { ...traffic, gateways: traffic, routes: traffic, leafs: traffic },
  received: { ...traffic, gateways: traffic, routes: traffic, leafs: traffic },
  slow_consumers: 'number',
} as const;

export const JSZ_DISABLED = {
  memory: 'number', storage: 'number', reserved_memory: 'number', reserved_storage: 'number', accounts: 'number',
  ha_assets: 'number', api: { level: 'number', total: 'number', errors: 'number' }, server_id: 'string',
  now: 'string', disabled: 'boolean', config: { max_memory: 'number', max_storage: 'number' }, streams: 'number',
  consumers: 'number', messages: 'number', bytes: 'number', total: 'number',
} as const;
