/**
 * Everything the runtime starts (servers, proxies, child processes) is registered here and stopped
 * by `closeAll`: in reverse start order, each with a deadline, also when the process gets SIGINT
 * or SIGTERM or exits. A registry removes its signal handlers once closed.
 *
 * On a signal the registry says so on stderr, stops everything, then raises the signal again so that
 * the process ends by it. Meanwhile the proofs in flight fail (their proxies and backends are gone) and would read
 * as broken promises: a run whose registry was {@link ProcessRegistry.interrupted} has no verdicts.
 * The handlers stay until everything is stopped, also when the run ends normally: a Ctrl-C while the
 * last proofs' proxies close (the seconds right after the traffic) is said and ends the run like one
 * earlier, instead of killing the process silently with children left running.
 */
export interface Closable {
  /** What it is, for messages: `echo bookinfo/reviews-v2 127.10.0.3:9080`. */
  readonly name: string;
  close(): Promise<void>;
}

export class ProcessRegistry {
  private readonly items: Closable[] = [];
  private closed = false;
  private closing: Promise<string[]> | undefined;
  private signal: NodeJS.Signals | undefined;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.signal = signal;
    // Without this line Ctrl-C ends the run silently: say what happens and why there is no report.
    process.stderr.write(this.closed
      ? `verify: ${signal}: interrupted as the traffic finished, while stopping everything the run started; no report\n`
      : `verify: ${signal}: stopping everything the run started; no report (proofs cut short would read as broken promises)\n`);
    void this.closeAll().finally(() => process.kill(process.pid, signal));
  };
  private readonly onExit = () => {
    // Synchronous last resort: child processes are killed; servers die with the process anyway.
    for (const i of this.items) (i as Partial<{ killNow(): void }>).killNow?.();
  };

  constructor() {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    process.once('exit', this.onExit);
  }

  /** Adds `c`; throws when the registry is already closed (nothing may start after cleanup). */
  add<T extends Closable>(c: T): T {
    if (this.closed) throw new Error(`cannot start ${c.name}: the verify runtime is shutting down`);
    this.items.push(c);
    return c;
  }

  get size(): number {
    return this.items.length;
  }

  /** The signal (SIGINT, SIGTERM) that made the registry close, if one did. */
  get interrupted(): NodeJS.Signals | undefined {
    return this.signal;
  }

  /**
   * Stops everything, last started first; each close gets `deadlineMs`. Errors are collected, never
   * thrown. A call while a close runs (the run ending while a signal's close stops everything)
   * resolves once that close has finished, with no errors of its own.
   */
  async closeAll(deadlineMs = 3000): Promise<string[]> {
    if (this.closed) {
      await this.closing;
      return [];
    }
    this.closed = true;
    this.closing = this.stopAll(deadlineMs);
    return this.closing;
  }

  private async stopAll(deadlineMs: number): Promise<string[]> {
    try {
      return await this.stopEach(deadlineMs);
    } finally {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      process.off('exit', this.onExit);
    }
  }

  private async stopEach(deadlineMs: number): Promise<string[]> {
    const errors: string[] = [];
    for (const item of this.items.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          item.close(),
          new Promise<void>((_, reject) => { timer = setTimeout(() => reject(new Error(`did not stop within ${deadlineMs} ms`)), deadlineMs); }),
        ]);
      } catch (e) {
        errors.push(`${item.name}: ${(e as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    }
    return errors;
  }
}
