// The configuration the system account tests share: a system account with a user, and an application
// account whose clients produce connect/disconnect advisories.

export const SERVER_NAME = 'sysacct-test';

export const SYS_CONFIG = `
server_name: ${SERVER_NAME}
accounts {
  SYS: { users: [{user: sys, password: sys}] }
  APP: { users: [{user: app, password: app}] }
}
system_account: SYS
`;

export const SYS_USER = { user: 'sys', pass: 'sys' };
export const APP_USER = { user: 'app', pass: 'app' };

/**
 * Only the system account and $G, with no authorization block: nats-server then lets clients without
 * credentials into $G as an invented user.
 */
export const SYS_ONLY_CONFIG = `
server_name: ${SERVER_NAME}
accounts { SYS: { users: [{user: sys, password: sys}] } }
system_account: SYS
`;
