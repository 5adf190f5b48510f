/**
 * Backpressure for one ADS stream. gRPC's `call.write` returns false once the HTTP/2 stream's buffer
 * is full (a client that reads slowly, or not at all). Writing on regardless would queue every push in
 * memory without bound. Instead the writer stops, keeps at most ONE pending response per type (a State
 * of the World response replaces any older one of its type: the client only needs the latest), and
 * flushes them on `drain` in the order they were last queued (which keeps CDS → EDS → SDS → LDS → RDS
 * within a push). A stream that does not drain within `drainTimeoutMs` is given up.
 */

/** Where the writer writes: grpc-js's `ServerDuplexStream` in the server, a fake in tests. */
export interface WritableSink {
  /** Node's `Writable.write`: false when the caller should wait for `drain`. */
  write(chunk: Uint8Array): boolean;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

export interface StreamWriterLimits {
  /** How long a blocked stream may stay blocked before it is closed, ms. @default 30000 */
  readonly drainTimeoutMs: number;
}
export const DEFAULT_WRITER_LIMITS: StreamWriterLimits = { drainTimeoutMs: 30_000 };

export class StreamWriter {
  private readonly pending = new Map<string, Uint8Array>();
  private blocked = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onDrain = () => this.drained();

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
    if (!this.sink.write(bytes)) this.block();
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

  private block(): void {
    this.blocked = true;
    const since = Date.now();
    this.sink.once('drain', this.onDrain);
    this.timer = setTimeout(() => {
      if (this.closed || !this.blocked) return;
      this.close();
      this.stuck(Date.now() - since);
    }, this.limits.drainTimeoutMs);
  }

  private drained(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.blocked = false;
    for (const [type, bytes] of this.pending) {
      this.pending.delete(type);
      if (!this.sink.write(bytes)) return this.block();
    }
  }
}
