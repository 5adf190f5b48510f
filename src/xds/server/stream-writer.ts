/**
 * Backpressure for one ADS stream. gRPC's `call.write` returns false only once 16 messages are
 * buffered (its object-mode high-water mark), whatever their size, and HTTP/2 buffers more behind it:
 * a client that reads slowly, or not at all, would have every push queued in memory. So the writer
 * also counts the bytes written but not yet flushed (the write callback), and stops writing when
 * `write` returns false or more than `maxInFlightBytes` are unflushed. While stopped it keeps at most
 * ONE pending response per type (a State of the World response replaces any older one of its type:
 * the client only needs the latest), and flushes them once unblocked, in the order they were last
 * queued (which keeps CDS → EDS → SDS → LDS → RDS within a push). A stream that stays blocked for
 * `drainTimeoutMs` is given up.
 */

/** Where the writer writes: grpc-js's `ServerDuplexStream` in the server, a fake in tests. */
export interface WritableSink {
  /** Node's `Writable.write`: false when the caller should wait for `drain`; `done` runs once the chunk is flushed. */
  write(chunk: Uint8Array, done: (err?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

export interface StreamWriterLimits {
  /** How long a blocked stream may stay blocked before it is closed, ms. @default 30000 */
  readonly drainTimeoutMs: number;
  /** Bytes written but not yet flushed above which the writer waits. One response is always written whole. @default 1048576 */
  readonly maxInFlightBytes: number;
}
export const DEFAULT_WRITER_LIMITS: StreamWriterLimits = { drainTimeoutMs: 30_000, maxInFlightBytes: 1 << 20 };

export class StreamWriter {
  private readonly pending = new Map<string, Uint8Array>();
  private blocked = false;
  /** `write` returned false: wait for `drain` as well as for the bytes to flush. */
  private awaitingDrain = false;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * @param stuck called once when the stream stayed blocked past `drainTimeoutMs`; the caller ends the
   *   stream. The writer writes nothing after that.
   */
  constructor(private readonly sink: WritableSink, private readonly limits: StreamWriterLimits, private readonly stuck: (blockedMs: number) => void) {}

  /** Writes `bytes` now, or queues it as the pending response of `type` (replacing an older one) while blocked. */
  send(type: string, bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.blocked) {
      this.pending.delete(type);
      this.pending.set(type, bytes);
      return;
    }
    this.write(bytes);
  }

  /** Responses waiting for `drain`. */
  get queued(): number {
    return this.pending.size;
  }

  /** Bytes waiting for `drain`. */
  get queuedBytes(): number {
    let n = 0;
    for (const b of this.pending.values()) n += b.length;
    return n;
  }

  get isBlocked(): boolean {
    return this.blocked;
  }

  /** Drops what is pending and stops the timer; safe to call more than once. */
  close(): void {
    this.closed = true;
    this.pending.clear();
    clearTimeout(this.timer);
    this.sink.removeListener('drain', this.onDrain);
  }

  /** Unflushed bytes. */
  get inFlightBytes(): number {
    return this.inFlight;
  }

  private write(bytes: Uint8Array): void {
    const n = bytes.length;
    this.inFlight += n;
    const ok = this.sink.write(bytes, () => {
      this.inFlight -= n;
      if (this.blocked && !this.awaitingDrain && this.inFlight <= this.limits.maxInFlightBytes) this.drained();
    });
    if (!ok) {
      this.awaitingDrain = true;
      this.sink.once('drain', this.onDrain);
    }
    if (!ok || this.inFlight > this.limits.maxInFlightBytes) this.block();
  }

  private block(): void {
    if (this.blocked) return;
    this.blocked = true;
    const since = Date.now();
    this.timer = setTimeout(() => {
      if (this.closed || !this.blocked) return;
      this.close();
      this.stuck(Date.now() - since);
    }, this.limits.drainTimeoutMs);
  }

  private readonly onDrain = (): void => {
    this.awaitingDrain = false;
    if (this.inFlight <= this.limits.maxInFlightBytes) this.drained();
  };

  private drained(): void {
    if (this.closed || !this.blocked) return;
    clearTimeout(this.timer);
    this.blocked = false;
    for (const [type, bytes] of this.pending) {
      this.pending.delete(type);
      this.write(bytes);
      if (this.blocked) return;
    }
  }
}
