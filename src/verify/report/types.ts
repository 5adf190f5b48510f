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
  /** Counts per final status (as `countResults`), promises proven with traffic and requests sent: what `check`'s JSON `summary` is to findings. */
  readonly summary: VerifySummary;
  /** Whether traffic was sent, and if not, why. */
  readonly traffic: { readonly ran: boolean; readonly reason?: string };
  readonly results: readonly VerifyResult[];
  /** Notes that are not results (unsupported route-test fields…). */
  readonly notes: readonly string[];
  /** Milliseconds: static judgement; runtime start-up and traffic (when traffic was sent); the whole run. */
  readonly timings: { readonly staticMs: number; readonly startupMs?: number; readonly trafficMs?: number; readonly totalMs: number };
}

/** Top-level counts of a verify report. */
export interface VerifySummary {
  readonly held: number;
  readonly broken: number;
  /** Hold only by Istio's undefined order. */
  readonly undefined: number;
  /** Need traffic to judge, and none proved them. */
  readonly runtimeOnly: number;
  /** Held with real requests (a traffic verdict `held`). */
  readonly provenWithTraffic: number;
  /** Requests sent, over every promise. */
  readonly requests: number;
}

/** The summary of `results`. */
export function summarize(results: readonly VerifyResult[]): VerifySummary {
  return {
    ...countResults({ results }),
    provenWithTraffic: results.filter((r) => r.traffic?.status === 'held').length,
    requests: results.reduce((s, r) => s + (r.traffic?.requests ?? 0), 0),
  };
}

/**
 * The `traffic:` line of a result, in words: a traffic verdict (a routing promise proven by 403s
 * says why a refusal proves the route), or why none was sent. Undefined when the run sent no traffic.
 */
export function trafficLine(report: Pick<VerifyReport, 'traffic'>, r: VerifyResult): string | undefined {
  if (r.traffic) {
    const o = r.expectation.outcome.kind;
    const denied = [...r.traffic.detail.matchAll(/RBAC: access denied at ([^\s,]+)/g)].map((m) => m[1]!);
    if (r.traffic.status === 'held' && denied.length > 0 && (o === 'reaches' || o === 'split')) {
      return `${r.traffic.detail} (a 403 from the destination's sidecar proves the routing: the route did reach ${[...new Set(denied)].join(', ')}, whose AuthorizationPolicies then refused the request)`;
    }
    return r.traffic.detail;
  }
  if (!report.traffic.ran) return undefined;
  if (r.static.status === 'broken') return 'not sent — broken by the config';
  return undefined;
}

/** Counts per final status: a traffic verdict, where there is one, decides; else the static one. */
export function countResults(report: Pick<VerifyReport, 'results'>): { held: number; broken: number; undefined: number; runtimeOnly: number } {
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
