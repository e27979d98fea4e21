// Files nats-server leaves for process managers and test harnesses, reproduced exactly:
//   * the pid file (-P): the decimal pid, no newline, mode 0600;
//   * the ports file (--ports_file_dir): `<exe>_<pid>.ports` holding JSON such as
//     {"nats":["nats://127.0.0.1:4222"],"monitoring":["http://127.0.0.1:8222"]}
//     where a listener bound to 0.0.0.0 or :: is listed once per interface address.
// `<exe>` is the base name of the program as started: `node bin/myelin.js` gives "myelin",
// and an install linked as `nats-server` gives "nats-server", so harnesses that look for
// nats-server_<pid>.ports keep working.

import { networkInterfaces } from 'node:os';
import { basename, extname, join } from 'node:path';
import { unlinkSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** Base name of the running program without its extension ("myelin", "nats-server"). */
export function executableBaseName(scriptPath: string | undefined = process.argv[1]): string {
  const path = scriptPath !== undefined && scriptPath !== '' ? scriptPath : process.argv0;
  const base = basename(path);
  const ext = extname(base);
  return ext === '' ? base : base.slice(0, -ext.length);
}

/** Names the process after the program (what `ps` and `pgrep` show); returns the name used. */
export function setProcessTitle(name: string = executableBaseName()): string {
  process.title = name;
  return name;
}

/** Writes the pid file as nats-server does: the pid in decimal, nothing else, mode 0600. */
export function writePidFile(path: string, pid: number = process.pid): void {
  writeFileSync(path, String(pid), { mode: 0o600 });
}

/** Removes the pid file; a file that is already gone is not an error. */
export function removePidFile(path: string): void {
  removeIfPresent(path);
}

/**
 * The URLs a server can be reached at, by listener kind. Field order and names are those
 * of nats-server's Ports struct; empty lists are left out of the JSON as Go's omitempty does.
 */
export interface PortsInfo {
  nats?: string[];
  monitoring?: string[];
  cluster?: string[];
  profile?: string[];
  websocket?: string[];
}

/** `<dir>/<exe>_<pid>.ports` */
export function portsFilePath(dir: string, pid: number = process.pid, exe: string = executableBaseName()): string {
  return join(dir, `${exe}_${pid}.ports`);
}

/** The JSON text nats-server writes into the ports file (compact, no trailing newline). */
export function portsFileContent(ports: PortsInfo): string {
  const ordered: PortsInfo = {};
  for (const key of ['nats', 'monitoring', 'cluster', 'profile', 'websocket'] as const) {
    const urls = ports[key];
    if (urls !== undefined && urls.length > 0) ordered[key] = urls;
  }
  return JSON.stringify(ordered);
}

/** Writes the ports file into `dir` and returns its path. */
export function writePortsFile(
  dir: string,
  ports: PortsInfo,
  pid: number = process.pid,
  exe: string = executableBaseName(),
): string {
  const path = portsFilePath(dir, pid, exe);
  writeFileSync(path, portsFileContent(ports), { mode: 0o666 });
  return path;
}

/**
 * Removes the ports file written by writePortsFile and returns its path. Unlike the pid
 * file, a missing ports file is reported (thrown): nats-server logs it as an error.
 */
export function removePortsFile(dir: string, pid: number = process.pid, exe: string = executableBaseName()): string {
  const path = portsFilePath(dir, pid, exe);
  unlinkSync(path);
  return path;
}

/**
 * URLs for a listener bound to `host`:`port`, e.g. ("nats", "127.0.0.1", 4222) gives
 * ["nats://127.0.0.1:4222"]. A wildcard address (0.0.0.0, ::, or empty) stands for every
 * interface, so it expands to one URL per interface address, IPv6 ones in brackets.
 */
export function listenerUrls(protocol: string, host: string, port: number): string[] {
  const hosts = isUnspecified(host) ? interfaceAddresses() : [host];
  return hosts.map((address) => `${protocol}://${joinHostPort(address, port)}`);
}

function interfaceAddresses(): string[] {
  const addresses: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) addresses.push(entry.address);
  }
  return addresses;
}

function isUnspecified(host: string): boolean {
  return host === '' || host === '0.0.0.0' || (isIP(host) === 6 && /^[0:]+$/.test(host));
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A file-system error as Go prints an *os.PathError: `open /x/y.log: no such file or directory`, which is
 * what nats-server's messages about its files contain.
 */
export function goPathError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e === null || typeof e !== 'object' || e.path === undefined) return err instanceof Error ? err.message : String(err);
  const op = e.syscall === 'unlink' ? 'remove' : (e.syscall ?? 'open');
  const text = (e.code !== undefined ? GO_ERRNO_TEXT[e.code] : undefined) ?? e.message;
  return `${op} ${e.path}: ${text}`;
}

/** Go's strings for the errno values file operations commonly meet (syscall.Errno.Error). */
const GO_ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'file exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

/** Go's standard logger prefix (`log.Fatalf` before nats-server's own logger exists): local `2006/01/02 15:04:05 `. */
export function goStdLogTime(date: Date = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(date.getFullYear(), 4)}/${p(date.getMonth() + 1)}/${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())} `;
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
