import type { Origin } from '../../mesh/view/index.js';

/**
 * The static judgement of one expectation: `held`, `broken`, `undefined` (Istio's own order is
 * undefined, so the promise holds only by chance), or `runtime-only` (the config cannot decide it:
 * the backend's status, a CUSTOM authorizer).
 */
export type VerdictStatus = 'held' | 'broken' | 'undefined' | 'runtime-only';

export interface Verdict {
  readonly id: string;
  readonly status: VerdictStatus;
  /** What was found, in words, with file:line of the deciding config. */
  readonly detail: string;
  /** The config object and field that decided it. */
  readonly evidence?: Origin;
}
