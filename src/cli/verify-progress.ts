/**
 * Progress of `meshproof verify` as plain lines on stderr, for when there is no terminal to draw a
 * bar on (CI logs): a run that proves promises with traffic takes minutes, and a log that says
 * nothing for that long looks hung. The report on stdout is untouched.
 *
 * Lines, each starting `verify: `: when a phase starts (`static: judging 12 promises against the
 * config`, `traffic: proving 12 promises with requests`) and ends (`… 12/12 done in 3.1 s`); in
 * between at most one count every `everyMs`; and, when nothing was said for `quietMs` (the runtime
 * starting its proxies, one slow promise), `still running: traffic 5/12, 2 min 10 s so far`.
 */

/** The two phases {@link verifyProject} reports. */
export type VerifyPhase = 'static' | 'traffic';

export interface ProgressLinesOptions {
  /** Fewest ms between two count lines within a phase. @default 10000 */
  readonly everyMs?: number;
  /** Ms without a line after which `still running` is said (and again each time). @default 30000 */
  readonly quietMs?: number;
  /** Now, in ms (tests). @default performance.now */
  readonly now?: () => number;
}

export interface ProgressLines {
  /** `verifyProject`'s progress callback: `done` of `total` promises of `phase`. */
  progress(phase: VerifyPhase, done: number, total: number): void;
  /** Stops the `still running` timer; says nothing more. */
  stop(): void;
}

const STARTS: Readonly<Record<VerifyPhase, (n: string) => string>> = {
  static: (n) => `judging ${n} against the config`,
  traffic: (n) => `proving ${n} with requests`,
};

/** Seconds below a minute with one decimal (`3.1 s`), then `2 min 10 s`. */
export function elapsed(ms: number): string {
  if (ms < 59_950) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Progress lines written through `write` (one line per call, newline included). */
export function progressLines(write: (line: string) => void, opts: ProgressLinesOptions = {}): ProgressLines {
  const now = opts.now ?? (() => performance.now());
  const everyMs = opts.everyMs ?? 10_000;
  const quietMs = opts.quietMs ?? 30_000;
  const began = now();
  let phase: VerifyPhase | undefined;
  let phaseStart = 0;
  let ended = false;
  let done = 0;
  let total = 0;
  let last = began;
  const say = (text: string) => {
    last = now();
    write(`verify: ${text}\n`);
  };
  const timer = setInterval(() => {
    if (now() - last < quietMs) return;
    say(`still running: ${phase ? `${phase} ${done}/${total}${ended ? ' done' : ''}` : 'preparing'}, ${elapsed(now() - began)} so far`);
  }, Math.max(50, Math.min(quietMs, 1000)));
  timer.unref();
  return {
    progress(p, d, t) {
      if (p !== phase) {
        phase = p;
        phaseStart = now();
        ended = false;
        say(`${p}: ${STARTS[p](`${t} promise${t === 1 ? '' : 's'}`)}`);
      }
      done = d;
      total = t;
      if (d >= t) {
        if (!ended) say(`${p}: ${d}/${t} done in ${elapsed(now() - phaseStart)}`);
        ended = true;
      } else if (now() - last >= everyMs) {
        say(`${p}: ${d}/${t}, ${elapsed(now() - phaseStart)} so far`);
      }
    },
    stop() {
      clearInterval(timer);
    },
  };
}
