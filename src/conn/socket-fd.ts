// Moving an accepted socket's file descriptor to a fresh net.Socket, on this thread or another.
//
// The listener's sockets are re-created from a duplicate of their descriptor: so that a worker thread can own
// one, and so that every client socket is made with `onread` (reads land in one buffer per thread instead of a
// new Buffer per read, and skip the stream machinery; see EngineHost.adoptFd).

import type { Socket } from 'node:net';

import { dupFd } from '../native/index.js';

/**
 * Duplicate `socket`'s descriptor and destroy the socket (closing only the original descriptor; the connection
 * lives on in the duplicate). Returns undefined, leaving the socket alone, where the platform gives no
 * descriptor.
 */
export function detachFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  let copy: number;
  try {
    copy = dupFd(fd);
  } catch {
    return undefined;
  }
  socket.destroy();
  return copy;
}
