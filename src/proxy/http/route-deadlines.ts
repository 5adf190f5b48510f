/**
 * Route timeouts (Envoy's `RouteAction.timeout`, default 15 s) of the requests in flight, checked
 * by one coarse sweep instead of one `setTimeout` per request: a timeout of at least
 * {@link COARSE_MIN_MS} fires between its deadline and {@link SWEEP_MS} (plus event-loop lag)
 * after it; a shorter one keeps its own `setTimeout` (precise). Envoy's timers are ms-granular; a
 * 15 s route timeout observed up to 50 ms late is within what a client can tell apart from load.
 *
 * Entries are intrusive (the request's own object carries the list links): arming and disarming
 * allocate nothing. The sweep timer is unref'd (an in-flight request always holds a socket that
 * keeps the process alive) and stops once no entry is left.
 */

/** A request that can time out: its links in the deadline list and what to do at the deadline. */
export interface DeadlineOwner {
  /** performance.now() milliseconds at which the route timeout fires. */
  deadlineAt: number;
  deadlinePrev: DeadlineOwner | undefined;
  deadlineNext: DeadlineOwner | undefined;
  /** The precise timer of a short timeout (see {@link COARSE_MIN_MS}). */
  deadlineTimer: NodeJS.Timeout | undefined;
  /** True while armed (in the list or with a timer). */
  deadlineArmed: boolean;
  /** Called once when the deadline passes while armed. */
  onDeadline(): void;
}

/** Timeouts from this many milliseconds on go to the sweep; shorter ones get a setTimeout. */
export const COARSE_MIN_MS = 1000;
/** The sweep period (ms). */
export const SWEEP_MS = 50;

let head: DeadlineOwner | undefined;
let tail: DeadlineOwner | undefined;
let sweeper: NodeJS.Timeout | undefined;

function unlink(o: DeadlineOwner): void {
  const { deadlinePrev: p, deadlineNext: n } = o;
  if (p) p.deadlineNext = n; else head = n;
  if (n) n.deadlinePrev = p; else tail = p;
  o.deadlinePrev = o.deadlineNext = undefined;
}

function sweep(): void {
  if (head === undefined) {
    clearInterval(sweeper);
    sweeper = undefined;
    return;
  }
  const now = performance.now();
  let o: DeadlineOwner | undefined = head;
  while (o !== undefined) {
    const next: DeadlineOwner | undefined = o.deadlineNext;
    if (o.deadlineAt <= now) {
      unlink(o);
      o.deadlineArmed = false;
      o.onDeadline();
    }
    o = next;
  }
}

function fireTimer(o: DeadlineOwner): void {
  o.deadlineTimer = undefined;
  if (!o.deadlineArmed) return;
  o.deadlineArmed = false;
  o.onDeadline();
}

/** Arms `o`'s route timeout of `ms` (> 0) milliseconds from `now` (performance.now()). Disarm with {@link disarmDeadline}. */
export function armDeadline(o: DeadlineOwner, ms: number, now: number): void {
  if (o.deadlineArmed) disarmDeadline(o);
  o.deadlineArmed = true;
  o.deadlineAt = now + ms;
  if (ms < COARSE_MIN_MS) {
    o.deadlineTimer = setTimeout(fireTimer, ms, o);
    return;
  }
  o.deadlinePrev = tail;
  o.deadlineNext = undefined;
  if (tail) tail.deadlineNext = o; else head = o;
  tail = o;
  sweeper ??= setInterval(sweep, SWEEP_MS).unref();
}

/** Cancels `o`'s route timeout (a no-op when not armed). */
export function disarmDeadline(o: DeadlineOwner): void {
  if (!o.deadlineArmed) return;
  o.deadlineArmed = false;
  if (o.deadlineTimer !== undefined) {
    clearTimeout(o.deadlineTimer);
    o.deadlineTimer = undefined;
  } else {
    unlink(o);
  }
}

/** Requests whose route timeout is armed on the sweep (tests). */
export function sweptDeadlines(): number {
  let n = 0;
  for (let o = head; o !== undefined; o = o.deadlineNext) n++;
  return n;
}
