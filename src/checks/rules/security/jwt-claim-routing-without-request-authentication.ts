import { isRecord, stringMap, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { describeWorkload, RequestAuthenticationIndex } from './_helpers.js';

const CLAIM_PREFIX = '@request.auth.claims';

/**
 * Whether a header key routes on a JWT claim, as Istio's pkg/jwt ToRoutingClaim decides: the prefix
 * `@request.auth.claims` in any case, then `.claim(.nested)*` or `[claim]([nested])*`.
 */
export function isRoutingClaim(key: string): boolean {
  if (!key.toLowerCase().startsWith(CLAIM_PREFIX)) return false;
  const rest = key.slice(CLAIM_PREFIX.length);
  return (rest.startsWith('.') && rest.length > 1) || (rest.startsWith('[') && rest.endsWith(']') && rest.length > 2);
}

/** `security/jwt-claim-routing-without-request-authentication` (IST0149). */
const jwtClaimRoutingWithoutRequestAuthentication: Rule = {
  id: 'security/jwt-claim-routing-without-request-authentication',
  istioCode: 'IST0149',
  severity: 'error',
  summary: 'A gateway VirtualService routes on @request.auth.claims headers, but no RequestAuthentication covers the gateway workload.',
  docs: [
    'Matching `headers` (or `withoutHeaders`) keys `@request.auth.claims.<claim>` (or `@request.auth.claims[<claim>]`,',
    'the prefix in any case) routes on claims of a JWT that',
    'the gateway has validated. Claims exist only when a RequestAuthentication (in the gateway workload\'s',
    'namespace or the root namespace, selecting it or without selector) applies to the gateway pods; without one',
    'the match never succeeds and the claim-based route is dead. Fix: add a RequestAuthentication with the',
    'issuer and jwksUri for the gateway workload (`selector.matchLabels` as the Gateway `selector`).',
    'Only gateways that exist and have a selector are checked. Mirrors `istioctl analyze` IST0149.',
  ].join(' '),
  kinds: ['VirtualService', 'Gateway', 'RequestAuthentication', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    let authn: RequestAuthenticationIndex | undefined;
    for (const vs of graph.ofKind('VirtualService')) {
      const claimPath = firstClaimMatch(vs);
      if (!claimPath) continue;
      authn ??= new RequestAuthenticationIndex(graph);
      const seen = new Set<unknown>();
      for (const ref of graph.gatewaysOf(vs)) {
        if (!ref.gateway) continue;
        const selector = stringMap(ref.gateway.spec.selector);
        if (Object.keys(selector).length === 0) continue;
        for (const w of graph.workloadsSelectedBy(null, selector)) {
          if (seen.has(w) || authn.for(w).length > 0) continue;
          seen.add(w);
          ctx.report(vs, `This route uses JWT claim based routing (${String(claimPath[claimPath.length - 1])}) but no RequestAuthentication is configured ` +
            `for the gateway workload ${describeWorkload(w)} of Gateway ${ref.key}, so the match never succeeds; add a RequestAuthentication ` +
            `in ${w.namespace} (or ${graph.rootNamespace}) selecting it`, { path: claimPath });
        }
      }
    }
  },
};

/** Path of the first `@request.auth.claims.*` header key in `spec.http[].match[]`, or undefined. */
function firstClaimMatch(vs: MeshObject): FieldPath | undefined {
  const routes = Array.isArray(vs.spec.http) ? vs.spec.http : [];
  for (let i = 0; i < routes.length; i++) {
    const route = routes[i];
    const matches = isRecord(route) && Array.isArray(route.match) ? route.match : [];
    for (let j = 0; j < matches.length; j++) {
      const m = matches[j];
      if (!isRecord(m)) continue;
      for (const field of ['headers', 'withoutHeaders'] as const) {
        const headers = m[field];
        if (!isRecord(headers)) continue;
        const key = Object.keys(headers).find(isRoutingClaim);
        if (key !== undefined) return ['spec', 'http', i, 'match', j, field, key];
      }
    }
  }
  return undefined;
}

export default jwtClaimRoutingWithoutRequestAuthentication;
