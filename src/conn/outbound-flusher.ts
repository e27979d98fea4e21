// Writes engine output to sockets, once per event-loop turn.
//
// The engine appends every delivery to the destination connection's outbound buffer and lists the
// connection as dirty. After the chunks of a loop turn are ingested, one `setImmediate` runs `flush`: it asks
// the engine for the dirty connections and writes each one's bytes at once. While Node has nothing queued on
// a socket, the binding sends straight from the engine's buffer (one send(2), no copy); of what the kernel did
// not take, one piece is copied into a Buffer for socket.write and the rest stays in the engine, blocked, until
// that piece is written (TLS and WebSocket connections copy everything into their socket). A socket that
// refuses more data is marked blocked in the engine, which then keeps its bytes and counts them against
// max_pending (and the stall threshold), until the socket drains.
// A flush repeats (bounded) while its own writes made connections dirty again: the server's own client answers
// during a pass, and its replies go out in the same pass instead of a loop turn later.

import type { NativeEngine } from '../native/index.js';
import type { ClientConnection } from './client-connection.js';

const DIRTY_BATCH = 4096;
/** At most this much of a backlog is copied into Node at a time (see `writePiece`). */
const PIECE_BYTES = 64 * 1024;
/**
 * Passes over the dirty list per flush. The server's own client (JetStream) gets its deliveries during a pass
 * and usually replies at once (an ack, a direct get); another pass writes those replies now instead of a loop
 * turn later. Bounded, since internal handlers can keep answering each other.
 */
const MAX_PASSES = 4;

export class OutboundFlusher {
  private scheduled = false;
  /** Inside `flush`: a `schedule` then asks for one more pass rather than another loop turn. */
  private flushing = false;
  private again = false;
  /** Filled by the engine with dirty slot numbers; allocated once. */
  private readonly dirtyIds = new Uint32Array(DIRTY_BATCH);
  /** Connections whose socket is currently refusing writes, checked against write_deadline. */
  readonly blocked = new Set<ClientConnection>();
  /** Internal (socketless) connections by slot: their bytes go to the server's own client, not a socket. */
  readonly internal = new Map<number, (bytes: Buffer) => void>();

  constructor(
    private readonly engine: NativeEngine,
    private readonly conns: (ClientConnection | undefined)[],
    private readonly nowMs: () => number,
  ) {}

  /** Ask for a flush at the end of this loop turn; repeated calls in one turn cost nothing. */
  schedule(): void {
    if (this.flushing) {
      this.again = true;
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.flushing) {
      // Re-entered (an internal handler wrote straight through): the running flush will make another pass.
      this.again = true;
      return;
    }
    this.flushing = true;
    let passes = 0;
    try {
      do {
        this.again = false;
        this.pass();
      } while (this.again && ++passes < MAX_PASSES);
    } finally {
      this.flushing = false;
    }
    // Still dirty after the last pass: the rest waits for the next loop turn.
    if (this.again) this.schedule();
  };

  private pass(): void {
    const ids = this.dirtyIds;
    for (;;) {
      const n = this.engine.takeDirty(ids);
      for (let i = 0; i < n; i++) {
        const slot = ids[i] as number;
        const conn = this.conns[slot];
        if (conn !== undefined && conn.fd >= 0 && !conn.socket.destroyed) {
          // Nothing queued in Node: send from the engine's buffer, no copy. The kernel took only part of it:
          // hand Node one piece (its completion says the socket drains) and keep the rest in the engine.
          if (conn.socket.writableLength === 0 && this.engine.writeOutbound(slot, conn.fd) === 0) continue;
          this.writePiece(conn);
          continue;
        }
        const bytes = this.engine.takeOutbound(slot);
        if (conn === undefined) {
          if (bytes.length > 0) this.internal.get(slot)?.(bytes);
          continue;
        }
        if (bytes.length === 0 || conn.socket.destroyed) continue;
        this.write(conn, bytes);
      }
      if (n < ids.length) break;
    }
  }

  /** Write bytes already taken from the engine, tracking backpressure. */
  write(conn: ClientConnection, bytes: Buffer): void {
    if (!conn.socket.write(bytes) && conn.blockedSinceMs === 0) {
      conn.blockedSinceMs = this.nowMs() || 1;
      this.blocked.add(conn);
      this.engine.setBlocked(conn.slot, true);
    }
  }

  /**
   * Plain TCP socket whose kernel buffer is full (or with bytes already queued in Node): copy at most one
   * piece into Node and leave the rest in the engine, blocked, until the piece is written. Then the next
   * flush sends straight from the engine again. A backlog is thus neither copied wholesale into Node nor
   * moved within the engine's buffer on every write.
   */
  private writePiece(conn: ClientConnection): void {
    // Blocked before the bytes leave the engine: while Node holds them, no other thread may write to this
    // socket directly (native/core/src/direct.rs), or its bytes could overtake them.
    if (conn.blockedSinceMs === 0) {
      conn.blockedSinceMs = this.nowMs() || 1;
      this.blocked.add(conn);
    }
    this.engine.setBlocked(conn.slot, true);
    const bytes = this.engine.takeOutbound(conn.slot, PIECE_BYTES);
    if (bytes.length === 0) {
      this.onDrain(conn);
      return;
    }
    conn.pieceWritten ??= (err) => {
      if (!err) this.onDrain(conn);
    };
    conn.socket.write(bytes, conn.pieceWritten);
  }

  /** The socket drained: let the engine hand out this connection's bytes again. */
  onDrain(conn: ClientConnection): void {
    if (conn.blockedSinceMs === 0) return;
    conn.blockedSinceMs = 0;
    this.blocked.delete(conn);
    if (this.engine.setBlocked(conn.slot, false)) this.schedule();
  }

  /** Write whatever the engine holds for one connection now (before closing it). */
  flushNow(conn: ClientConnection): void {
    const bytes = this.engine.takeOutbound(conn.slot);
    if (bytes.length > 0 && !conn.socket.destroyed) conn.socket.write(bytes);
  }
}
