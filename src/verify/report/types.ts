import type { Expectation } from '../expectations/types.js';
import type { Verdict } from '../static/verdict.js';

/** The traffic judgement of one expectation (absent when no traffic was sent). */
export interface TrafficVerdict {
  readonly status: 'held' | 'broken' | 'not-run';
  /** Observed vs expected, with the interval for shares. */
  readonly detail: string;
  readonly requests: number;
}

export interface VerifyResult {
  readonly expectation: Expectation;
  readonly static: Verdict;
  readonly traffic?: TrafficVerdict;
}

/** Everything `meshproof verify` found: the input of every output format and of the exit code. */
export interface VerifyReport {
  readonly version: 1;
  /** Project root, as given. */
  readonly root: string;
  /** Apps (charts) verified, from the expectations' construct paths. */
  readonly apps: readonly string[];
  /** Confidence and tolerance of share judgements. */
  readonly confidence: number;
  readonly tolerance: number;
  /** Whether traffic was sent, and if not, why. */
  readonly traffic: { readonly ran: boolean; readonly reason?: string };
  readonly results: readonly VerifyResult[];
  /** Notes that are not results (unsupported route-test fields…). */
  readonly notes: readonly string[];
  /** Milliseconds: static judgement; runtime start-up and traffic (when traffic was sent); the whole run. */
  readonly timings: { readonly staticMs: number; readonly startupMs?: number; readonly trafficMs?: number; readonly totalMs: number };
}

/** Counts per final status: a traffic verdict, where there is one, decides; else the static one. */
export function countResults(report: VerifyReport): { held: number; broken: number; undefined: number; runtimeOnly: number } {
  const c = { held: 0, broken: 0, undefined: 0, runtimeOnly: 0 };
  for (const r of report.results) {
    const s = finalStatus(r);
    if (s === 'held') c.held++;
    else if (s === 'broken') c.broken++;
    else if (s === 'undefined') c.undefined++;
    else c.runtimeOnly++;
  }
  return c;
}

/** The status that counts for one result. */
export function finalStatus(r: VerifyResult): 'held' | 'broken' | 'undefined' | 'runtime-only' {
  if (r.static.status === 'broken' || r.traffic?.status === 'broken') return 'broken';
  if (r.static.status === 'undefined') return 'undefined';
  if (r.static.status === 'runtime-only' && r.traffic?.status !== 'held') return 'runtime-only';
  // Traffic that was sent and failed decides over a config that looked right.
  return 'held';
}

/** 0 every promise held; 1 some broke (or hold only by Istio's undefined order). */
export function verifyExitCode(report: VerifyReport): 0 | 1 {
  const c = countResults(report);
  return c.broken > 0 || c.undefined > 0 ? 1 : 0;
}
