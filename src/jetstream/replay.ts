// `replay_policy: original`: a consumer delivers the messages that were already in the stream when it started
// with the gaps they were stored with, as nats-server's delivery loop sleeps between them (server/consumer.go,
// `o.replay`). Once it has caught up with what the stream held at its start, it delivers as they come.

/** Gaps nats-server does not wait for. */
const MIN_GAP_MS = 1;

export class ReplayPacer {
  /** The stream's last sequence when the consumer started; 0 once caught up (or for instant replay). */
  private upTo: number;
  private lastTsNs = 0n;
  /** The message being waited for and when it may go. */
  private heldSeq = 0;
  private releaseAtMs = 0;

  constructor(original: boolean, streamLastSeq: number) {
    this.upTo = original && streamLastSeq > 0 ? streamLastSeq : 0;
  }

  /** Whether deliveries are paced (one message at a time). */
  get active(): boolean {
    return this.upTo > 0;
  }

  /** How long to wait before delivering message `seq` stored at `tsNs`; 0 to deliver it now. */
  waitMs(seq: number, tsNs: bigint, nowMs: number): number {
    if (!this.active || this.lastTsNs === 0n) return 0;
    if (this.heldSeq !== seq) {
      const gapMs = Number(tsNs - this.lastTsNs) / 1e6;
      if (gapMs <= MIN_GAP_MS) return 0;
      this.heldSeq = seq;
      this.releaseAtMs = nowMs + gapMs;
    }
    return Math.max(0, Math.ceil(this.releaseAtMs - nowMs));
  }

  /** A message stored at `tsNs` was delivered; the consumer's next stream sequence is `nextSeq`. */
  delivered(tsNs: bigint, nextSeq: number): void {
    if (!this.active) return;
    this.lastTsNs = tsNs;
    this.heldSeq = 0;
    this.progress(nextSeq);
  }

  /** Caught up once the consumer's next sequence is past what the stream held at its start (filtered out too). */
  progress(nextSeq: number): void {
    if (nextSeq > this.upTo) this.upTo = 0;
  }
}
