/**
 * A log line budget for lines a client can cause at will (a node id that names no node, or names an
 * unknown workload): at most `perWindow` such lines per window; the rest are counted, and one line
 * says how many were left out when the window closes. So a client cycling through node ids cannot
 * grow the log without bound, and an operator still sees that it happened.
 */
export interface LogBudget {
  /** Logs `line` if the window has budget left, else counts it. */
  log(line: string): void;
  /** Logs the count of lines left out so far, if any, and starts a new window (called by a timer at the window's end). */
  flush(): void;
}

export interface LogBudgetOptions {
  /** Lines logged per window. @default 20 */
  readonly perWindow?: number;
  /** The window, in milliseconds. @default 60_000 */
  readonly windowMs?: number;
  /** The clock. @default Date.now */
  readonly now?: () => number;
  /** Runs `flush` after `ms` without keeping the process alive. @default an unref'd setTimeout */
  readonly schedule?: (flush: () => void, ms: number) => void;
}

/** A {@link LogBudget} writing to `sink` (`xds serve`'s log), `prefix` before its own count line. */
export function logBudget(sink: (line: string) => void, prefix: string, opts: LogBudgetOptions = {}): LogBudget {
  const perWindow = opts.perWindow ?? 20;
  const windowMs = opts.windowMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const schedule = opts.schedule ?? ((f, ms) => setTimeout(f, ms).unref());
  let windowStart = -Infinity;
  let logged = 0;
  let dropped = 0;
  let window = 0;
  const budget: LogBudget = {
    log(line) {
      if (now() - windowStart >= windowMs) budget.flush();
      if (logged < perWindow) {
        logged++;
        sink(line);
        return;
      }
      if (dropped++ === 0) {
        const current = window;
        schedule(() => { if (window === current) budget.flush(); }, Math.max(0, windowStart + windowMs - now()));
      }
    },
    flush() {
      if (dropped > 0) sink(`${prefix}${dropped} more line${dropped === 1 ? '' : 's'} like the ones above left out (at most ${perWindow} per ${windowMs / 1000} s)`);
      windowStart = now();
      window++;
      logged = 0;
      dropped = 0;
    },
  };
  return budget;
}
