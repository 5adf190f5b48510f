import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import { isRecord, stringMap, type MeshObject } from '../../../mesh/object.js';
import { selectorOf } from '../../../mesh/policy.js';
import { push, selects } from '../../../mesh/services.js';

export { selectorOf };

/** Annotation that documents why a PeerAuthentication weakens mesh-wide STRICT mTLS. */
export const MTLS_EXCEPTION_ANNOTATION = 'meshproof.dev/mtls-exception-reason';

export { mtlsModeOf, type MtlsDecision, type MtlsMode } from '../../../mesh/policy.js';

/** AuthorizationPolicy `action` is ALLOW (explicitly or by default). */
export function isAllowPolicy(ap: MeshObject): boolean {
  return ap.spec.action === undefined || ap.spec.action === 'ALLOW';
}

/** An ALLOW policy without rules: it matches nothing, so the workloads it applies to deny every request. */
export function isAllowNothing(ap: MeshObject): boolean {
  return isAllowPolicy(ap) && (!Array.isArray(ap.spec.rules) || ap.spec.rules.length === 0) && ap.spec.provider === undefined;
}

/**
 * istioctl's namespace match for AuthorizationPolicy sources: `*` matches all, `*suffix` and
 * `prefix*` match by suffix / prefix, anything else exactly (case-insensitive).
 */
export function namespacePatternMatches(pattern: string, namespace: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return namespace.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return namespace.startsWith(pattern.slice(0, -1));
  return pattern.toLowerCase() === namespace.toLowerCase();
}

/**
 * RequestAuthentications by namespace (the graph does not index them): which workloads have JWT
 * validation, from a policy in their namespace or the root namespace, without a selector or with
 * one that selects them. Policies using `targetRef(s)` are ignored.
 */
export class RequestAuthenticationIndex {
  private readonly byNamespace = new Map<string, MeshObject[]>();

  constructor(private readonly graph: MeshGraph) {
    for (const o of graph.ofKind('RequestAuthentication')) {
      if (o.spec.targetRef === undefined && o.spec.targetRefs === undefined) push(this.byNamespace, o.namespace, o);
    }
  }

  /** The RequestAuthentications that apply to `w`. */
  for(w: Workload): MeshObject[] {
    const scopes = w.namespace === this.graph.rootNamespace ? [w.namespace] : [this.graph.rootNamespace, w.namespace];
    return scopes.flatMap((ns) => (this.byNamespace.get(ns) ?? []).filter((o) => {
      const sel = selectorOf(o);
      return sel === null || selects(sel, w.labels);
    }));
  }
}

/**
 * Workloads that run an Istio gateway: selected by some Gateway's selector (any namespace, as
 * Istio does by default) or injected with the `gateway` template.
 */
export function gatewayWorkloads(graph: MeshGraph): Set<Workload> {
  const out = new Set<Workload>();
  for (const gw of graph.ofKind('Gateway')) {
    const labels = stringMap(gw.spec.selector);
    if (Object.keys(labels).length > 0) for (const w of graph.workloadsSelectedBy(null, labels)) out.add(w);
  }
  for (const w of graph.workloads.all) {
    const templates = podAnnotations(w)['inject.istio.io/templates'] ?? '';
    if (templates.split(',').some((t) => t.trim() === 'gateway')) out.add(w);
  }
  return out;
}

/** Pod template annotations of a workload. */
export function podAnnotations(w: Workload): Record<string, string> {
  let v: unknown = w.object.body;
  for (const p of [...w.templatePath, 'metadata', 'annotations']) v = isRecord(v) ? v[p as string] : undefined;
  return stringMap(v);
}

/** `Kind ns/name`, e.g. `Deployment bookinfo/reviews-v1`. */
export function describeWorkload(w: Workload): string {
  return `${w.kind} ${w.namespace}/${w.name}`;
}

/** `PeerAuthentication ns/name` or `Istio's default`. */
export function describePolicy(o: MeshObject | null): string {
  return o ? `${o.kind} ${o.namespace}/${o.name}` : "Istio's default";
}
