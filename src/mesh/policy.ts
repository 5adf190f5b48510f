import { configOrder } from './destination-rules.js';
import { isRecord, stringMap, type MeshObject } from './object.js';
import { push, selects } from './services.js';
import type { Workload } from './workloads.js';

/** PeerAuthentications that bear on one workload, by Istio's precedence (workload > namespace > mesh). */
export interface PeerAuthenticationsForWorkload {
  /** In the workload's namespace with a selector matching it; oldest first (Istio's config order), the first decides. */
  readonly workload: readonly MeshObject[];
  /** In the workload's namespace without a selector; oldest first, only the first counts. */
  readonly namespace: readonly MeshObject[];
  /** In the root namespace without a selector (mesh-wide); oldest first, only the first counts. */
  readonly mesh: readonly MeshObject[];
  /**
   * The policy that decides the workload-wide mode: the most specific of workload, namespace, mesh
   * that sets a mode (an UNSET mode inherits from the level above); null = Istio's default, PERMISSIVE.
   */
  readonly effective: MeshObject | null;
}

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** Go's `strconv.ParseBool` true values, which istiod reads `istio.io/dry-run` with. */
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/**
 * Whether an AuthorizationPolicy is in dry-run (annotation `istio.io/dry-run` true as Go's
 * `strconv.ParseBool` reads it: `1`, `t`, `T`, `TRUE`, `true`, `True`): istiod puts its rules in
 * Envoy's `shadow_rules`, evaluated and logged but never enforced (authz builder `isDryRun`).
 */
export function isDryRun(policy: MeshObject): boolean {
  const v = policy.annotations['istio.io/dry-run'];
  return v !== undefined && GO_TRUE.has(v);
}

/** The mode a PeerAuthentication `mtls` (or `portLevelMtls` entry) sets; undefined when UNSET or absent. */
export function mtlsModeOf(mtls: unknown): MtlsMode | undefined {
  const mode = isRecord(mtls) ? mtls.mode : undefined;
  return mode === 'STRICT' || mode === 'PERMISSIVE' || mode === 'DISABLE' ? mode : undefined;
}

/** The mTLS mode a workload accepts on one port, and the PeerAuthentication that decides it (null = Istio's PERMISSIVE default). */
export interface MtlsDecision {
  readonly mode: MtlsMode;
  readonly policy: MeshObject | null;
}

/**
 * The mode a workload accepts on `port` (a container port; undefined = workload-wide), as Istio
 * composes PeerAuthentications: mesh, then namespace, then workload policy, each UNSET mode
 * inheriting from the level above, and the workload policy's `portLevelMtls` last.
 */
export function decideMtls(pas: Omit<PeerAuthenticationsForWorkload, 'effective'>, port?: number): MtlsDecision {
  let decided: MtlsDecision = { mode: 'PERMISSIVE', policy: null };
  for (const pa of [pas.mesh[0], pas.namespace[0], pas.workload[0]]) {
    const mode = pa && mtlsModeOf(pa.spec.mtls);
    if (pa && mode) decided = { mode, policy: pa };
  }
  const wl = pas.workload[0];
  if (wl && port !== undefined && isRecord(wl.spec.portLevelMtls)) {
    const mode = mtlsModeOf(wl.spec.portLevelMtls[String(port)]);
    if (mode) decided = { mode, policy: wl };
  }
  return decided;
}

/** The `matchLabels` of a `workloadSelector` / `selector`, or null when the object has none. */
export function selectorOf(o: MeshObject): Record<string, string> | null {
  const sel = o.kind === 'Sidecar' ? o.spec.workloadSelector : o.spec.selector;
  if (!isRecord(sel)) return null;
  const labels = stringMap(o.kind === 'Sidecar' ? sel.labels : sel.matchLabels);
  return Object.keys(labels).length > 0 ? labels : null;
}

/**
 * Whether a Sidecar has a `workloadSelector` as istiod sees it (`WorkloadSelector != nil`): any mapping, even one
 * without labels; `null` or absent is none. Unlike PeerAuthentication and AuthorizationPolicy, where a selector
 * without labels counts as none ({@link selectorOf}), istiod ranks such a Sidecar with the workload-selected ones.
 */
export function hasSidecarSelector(o: MeshObject): boolean {
  return isRecord(o.spec.workloadSelector);
}

/** Sidecars, PeerAuthentications and AuthorizationPolicies by namespace, split by selector. */
export class PolicyIndex {
  private readonly byKindNamespace = new Map<string, MeshObject[]>();
  private readonly namespaceModes = new Map<string, MtlsMode>();

  constructor(objects: Iterable<MeshObject>, private readonly rootNamespace: string) {
    for (const o of objects) push(this.byKindNamespace, `${o.kind}/${o.namespace}`, o);
  }

  private of(kind: string, ns: string): readonly MeshObject[] {
    return this.byKindNamespace.get(`${kind}/${ns}`) ?? [];
  }

  /**
   * The Sidecar(s) that configure `w`: those in its namespace whose workloadSelector selects it;
   * else its namespace's Sidecar(s) without workloadSelector; else the root namespace's. More than one
   * means a conflict (IST0110 / IST0111); istiod then uses the first, oldest first (creation time, then
   * name: `initSidecarScopes` sorts by `sortConfigByCreationTime`, `doGetSidecarScope` takes the first).
   * A workloadSelector written without labels (`workloadSelector: {}`) is still a selector to istiod
   * (`initSidecarScopes` puts every Sidecar with `WorkloadSelector != nil` in front, and empty labels select
   * every workload): it outranks the namespace's Sidecar without workloadSelector, and in the root namespace it
   * is no mesh default ({@link hasSidecarSelector}).
   */
  sidecarsFor(w: Workload): MeshObject[] {
    const local = [...this.of('Sidecar', w.namespace)].sort(configOrder);
    const selecting = local.filter((o) => hasSidecarSelector(o) && selects(selectorOf(o) ?? {}, w.labels));
    if (selecting.length > 0) return selecting;
    const nsDefault = local.filter((o) => !hasSidecarSelector(o));
    if (nsDefault.length > 0) return [...nsDefault];
    return [...this.of('Sidecar', this.rootNamespace)].sort(configOrder).filter((o) => !hasSidecarSelector(o));
  }

  /**
   * The PeerAuthentications that decide `w`'s mTLS, by level. A policy with a selector counts only outside the
   * root namespace: istiod ignores one in the root namespace, even for the root namespace's own workloads
   * (pilot/pkg/security/authn/policy_applier.go ComposePeerAuthentication: `else if cfg.Namespace != rootNamespace`).
   * Of several policies at one level the oldest decides (creation time, then name: `sortConfigByCreationTime`,
   * and ComposePeerAuthentication keeps the first), whatever order the input lists them in.
   */
  peerAuthenticationsFor(w: Workload): PeerAuthenticationsForWorkload {
    const local = [...this.of('PeerAuthentication', w.namespace)].sort(configOrder);
    const workload = w.namespace === this.rootNamespace ? [] : local.filter((o) => {
      const sel = selectorOf(o);
      return sel !== null && selects(sel, w.labels);
    });
    const namespace = local.filter((o) => selectorOf(o) === null);
    const mesh = w.namespace === this.rootNamespace ? namespace : [...this.of('PeerAuthentication', this.rootNamespace)].sort(configOrder).filter((o) => selectorOf(o) === null);
    return { workload, namespace, mesh, effective: decideMtls({ workload, namespace, mesh }).policy };
  }

  /**
   * The PeerAuthentication mode of `namespace` as auto mTLS reads it (Istio
   * `GetNamespaceMutualTLSMode`): its selector-less policy, else the mesh policy in the root
   * namespace, else PERMISSIVE; no workload-level or port-level policy. Kept per index, so graphs
   * that share the index (a reload that changed no policy) share the answers.
   */
  namespaceMtlsMode(namespace: string): MtlsMode {
    let mode = this.namespaceModes.get(namespace);
    if (mode === undefined) this.namespaceModes.set(namespace, (mode = decideMtls(this.peerAuthenticationsFor({ namespace, labels: {} } as unknown as Workload)).mode));
    return mode;
  }

  /**
   * AuthorizationPolicies that apply to `w`: in the root namespace (mesh-wide) or in `w`'s
   * namespace, without a selector or with one that selects `w`. Policies using `targetRef(s)`
   * (Gateway API) are skipped.
   */
  authorizationPoliciesFor(w: Workload): MeshObject[] {
    const scopes = w.namespace === this.rootNamespace ? [w.namespace] : [this.rootNamespace, w.namespace];
    return scopes.flatMap((ns) =>
      this.of('AuthorizationPolicy', ns).filter((o) => {
        if (o.spec.targetRef !== undefined || o.spec.targetRefs !== undefined) return false;
        const sel = selectorOf(o);
        return sel === null || selects(sel, w.labels);
      }),
    );
  }
}
