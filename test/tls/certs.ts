// The committed test certificates (test/fixtures/tls, made by generate.sh) and small TLS helpers for the
// tests in this folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { repoRoot } from '../helpers/server.js';

export const FIXTURES = join(repoRoot, 'test', 'fixtures', 'tls');
export const fixture = (name: string): string => join(FIXTURES, name);

export const CA = fixture('ca.pem');
export const SERVER_CERT = fixture('server-cert.pem');
export const SERVER_KEY = fixture('server-key.pem');

/** A client certificate pair by name: client (alice), client-dn (bob), client-dns (carol), rogue. */
export function clientPair(name: string): { certFile: string; keyFile: string } {
  return { certFile: fixture(`${name}-cert.pem`), keyFile: fixture(`${name}-key.pem`) };
}

/** A `tls { }` block for the server under test. */
export function tlsBlock(extra = ''): string {
  return `tls {\n  cert_file: "${SERVER_CERT}"\n  key_file: "${SERVER_KEY}"\n  ca_file: "${CA}"\n${extra}\n}\n`;
}

/**
 * Open a TLS connection straight away (as a handshake_first client does) and resolve with the socket and
 * the first decrypted bytes, or reject when the handshake fails.
 */
export function tlsFirstConnect(port: number, client?: string): Promise<{ socket: TLSSocket; first: string }> {
  return new Promise((resolve, reject) => {
    const pair = client !== undefined ? clientPair(client) : undefined;
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: readFileSync(CA),
      ...(pair !== undefined ? { cert: readFileSync(pair.certFile), key: readFileSync(pair.keyFile) } : {}),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no data over TLS within 5 s'));
    }, 5000);
    socket.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve({ socket, first: d.toString('utf8') });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
