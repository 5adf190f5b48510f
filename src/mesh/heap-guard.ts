import * as v8 from 'node:v8';
import * as vm from 'node:vm';

/**
 * Watches the V8 heap while input is read, so that an input the heap cannot hold is refused with a
 * problem instead of a V8 "heap out of memory" abort (which no JavaScript can catch).
 *
 * `check()` is cheap (one `v8.getHeapStatistics()`); the heap in use counts garbage not yet
 * collected, so when it passes `share` of the heap limit the guard collects garbage once and looks
 * again, and only a heap still past the mark after that counts. The next look is then due only
 * after the heap grows by another tenth of its limit: collections forced over and over near the
 * limit are what makes V8 give up ("ineffective mark-compacts near heap limit").
 */
export class HeapGuard {
  private readonly limit: number;
  private mark: number;

  /** @param share of the old generation's limit (`oldSpaceLimit()`, 0..1) past which reading stops. */
  constructor(private readonly share: number) {
    this.limit = oldSpaceLimit();
    this.mark = this.limit * share;
  }

  /** The heap bytes in use when they are past the mark after a collection, else null. */
  check(): number | null {
    const used = v8.getHeapStatistics().used_heap_size;
    if (used <= this.mark) return null;
    collectGarbage();
    const live = v8.getHeapStatistics().used_heap_size;
    if (live > this.limit * this.share) return live;
    this.mark = live + this.limit / 10;
    return null;
  }
}

/** What V8 adds to `--max-old-space-size` for the young generation on 64-bit hosts (3 × 16 MiB semi-spaces). */
const YOUNG_GENERATION = 48 * 1024 * 1024;

/**
 * Bytes the old generation may hold (`--max-old-space-size`, or V8's default for this host): the
 * heap limit less the young generation. Live data ends up there, and "heap out of memory" is the
 * old generation full; after a full collection the young generation is empty.
 */
export function oldSpaceLimit(): number {
  const total = v8.getHeapStatistics().heap_size_limit;
  return total > 2 * YOUNG_GENERATION ? total - YOUNG_GENERATION : total / 2;
}

let gc: (() => void) | null | undefined;

/**
 * A full garbage collection through V8's `gc` function, which `--expose-gc` makes; the flag set at
 * run time exposes it to new contexts only, so it is taken from one. Nothing if V8 refuses.
 */
function collectGarbage(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
