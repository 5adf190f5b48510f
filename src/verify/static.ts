/**
 * Static judgement: every expectation judged against the per-proxy view of the synthesized
 * config (which route and cluster a request selects, after Istio's merge order), in
 * milliseconds, before any traffic is sent. A broken promise names itself, its TypeScript line
 * and the config that breaks it.
 */
import type { MeshGraph } from '../mesh/graph.js';
import type { Expectation, RequestSpec } from './expectations/types.js';
import { judgeAuthorization, judgeClusterPolicy, judgeGatewayServer, judgeStrictMtls } from './static/policies.js';
import { judgeRequest } from './static/routing.js';
import type { Verdict } from './static/verdict.js';

export type { Verdict, VerdictStatus } from './static/verdict.js';

/**
 * Judges one expectation; never throws for bad input (a verdict says what is wrong).
 * @param others every promise of the run (an authorization promise may expect the refusal a routing promise meets). @default none
 */
export function judgeStatically(graph: MeshGraph, e: Expectation, others: readonly Expectation[] = []): Verdict {
  try {
    const o = e.outcome;
    switch (o.kind) {
      case 'circuit-breaker':
      case 'outlier-detection':
        return judgeClusterPolicy(graph, e, o);
      case 'client-certificate-required':
      case 'https-redirect':
        return judgeGatewayServer(graph, e, o);
      case 'mtls-strict':
        return judgeStrictMtls(graph, e, o);
      case 'authorization':
        return judgeAuthorization(graph, e, o);
      default:
        if (!e.request) return { id: e.id, status: 'broken', detail: `a ${o.kind} expectation needs a request` };
        return judgeRequest(graph, e as Expectation & { request: RequestSpec }, others);
    }
  } catch (err) {
    return { id: e.id, status: 'broken', detail: `could not be judged: ${(err as Error).message}` };
  }
}

/** Judges every expectation, in order. */
export function judgeAll(graph: MeshGraph, expectations: readonly Expectation[]): Verdict[] {
  return expectations.map((e) => judgeStatically(graph, e, expectations));
}
