// Reading the Buffer `NativeStore.deliverBatch` returns (native/binding/src/deliver.rs): the framed publish
// records, then per message its stream sequence and where its subject is, then count, bytes, frames length.
// Nothing is copied: `frames` and the subjects are views of, or read from, the one native buffer.

const META = 16;
const TRAILER = 12;

export class DeliveryBatch {
  readonly count: number;
  /** Subject + header + body bytes of the batch (what max_bytes and flow control count). */
  readonly bytes: number;
  readonly frames: Buffer;
  private readonly metaAt: number;

  constructor(private readonly buf: Buffer) {
    const end = buf.length - TRAILER;
    this.count = buf.readUInt32LE(end);
    this.bytes = buf.readUInt32LE(end + 4);
    const framesLen = buf.readUInt32LE(end + 8);
    this.frames = buf.subarray(0, framesLen);
    this.metaAt = framesLen;
  }

  seq(i: number): number {
    return this.buf.readDoubleLE(this.metaAt + i * META);
  }

  subject(i: number): string {
    const at = this.metaAt + i * META;
    const off = this.buf.readUInt32LE(at + 8);
    return this.buf.toString('utf8', off, off + this.buf.readUInt32LE(at + 12));
  }
}
