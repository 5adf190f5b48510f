import { creationTime } from '../../../mesh/destination-rules.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { Rule, RuleContext } from '../../rule.js';
import { MTLS_EXCEPTION_ANNOTATION, mtlsModeOf, selectorOf } from './_helpers.js';

/** `security/mesh-strict-mtls`: STRICT mTLS mesh-wide, and every weaker PeerAuthentication justified. */
const meshStrictMtls: Rule = {
  id: 'security/mesh-strict-mtls',
  severity: 'error',
  summary: 'The mesh lacks a STRICT mesh-wide PeerAuthentication, or a narrower PeerAuthentication weakens it without a documented reason.',
  docs: [
    'Policy: the root namespace must hold a PeerAuthentication without selector whose `mtls.mode` is STRICT',
    '(an unset mode means PERMISSIVE: plaintext accepted). A namespace- or workload-level PeerAuthentication',
    `that sets PERMISSIVE or DISABLE (in \`mtls\` or any \`portLevelMtls\` entry) must carry the annotation`,
    `\`${MTLS_EXCEPTION_ANNOTATION}: "<why>"\`, so every plaintext door is reviewed. When the input has no`,
    'mesh-wide PeerAuthentication at all, one finding is reported on the first PeerAuthentication, else the first',
    'Namespace, else the first workload (nothing is reported for input with none of these). Repositories that',
    'do not own the mesh-wide policy set option `requireMeshWide: false`; weakenings are still checked. A',
    'PeerAuthentication with a selector in the root namespace is reported as a warning: istiod ignores it',
    '(ComposePeerAuthentication), so it weakens nothing and protects nothing. Only the policy istiod uses is',
    'judged: of several policies at one level (mesh-wide, one namespace\'s selector-less ones, or the ones selecting',
    'a workload) the oldest decides (creation time, then name), and a newer one it overrides for every workload is',
    'reported as a warning instead, whatever its mode: a STRICT one there protects nothing.',
  ].join(' '),
  kinds: ['PeerAuthentication', 'Namespace', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { requireMeshWide: { description: 'Require a STRICT mesh-wide PeerAuthentication (default true).', type: 'boolean' } },
  },
  check(graph, ctx) {
    const requireMeshWide = ctx.options.requireMeshWide !== false;
    let meshWide = 0;
    for (const pa of graph.ofKind('PeerAuthentication')) {
      const selector = selectorOf(pa);
      const root = pa.namespace === graph.rootNamespace;
      if (root && selector !== null) { reportIgnored(ctx, pa); continue; }
      if (root) meshWide++;
      const decider = graph.peerAuthenticationShadowedBy(pa);
      if (decider) reportShadowed(ctx, pa, decider, root ? 'mesh-wide' : selector !== null ? 'workload-level' : 'namespace-level');
      else if (root) checkMeshWide(ctx, pa);
      else checkWeakening(ctx, pa, selector !== null);
    }
    if (meshWide === 0 && requireMeshWide) reportMissing(graph, ctx);
  },
};

/** The mesh-wide policy istiod uses (the oldest selector-less one in the root namespace) must be STRICT. */
function checkMeshWide(ctx: RuleContext, pa: MeshObject): void {
  const mode = mtlsModeOf(pa.spec.mtls);
  if (mode === 'STRICT') return;
  const what = mode ? `mtls.mode ${mode}` : 'no mtls.mode (UNSET means PERMISSIVE)';
  ctx.report(pa, `the mesh-wide PeerAuthentication has ${what}: workloads accept plaintext unless a narrower policy says otherwise; set spec.mtls.mode: STRICT`, {
    path: isRecord(pa.spec.mtls) ? ['spec', 'mtls', 'mode'] : ['spec'],
  });
}

/**
 * A PeerAuthentication that an older one at the same level overrides for every workload (istiod's
 * ComposePeerAuthentication keeps the oldest per level, creation time then name): its mode neither weakens nor
 * strengthens anything, so a STRICT one here is a promise istiod does not keep.
 */
function reportShadowed(ctx: RuleContext, pa: MeshObject, decider: MeshObject, scope: string): void {
  const mode = mtlsModeOf(pa.spec.mtls) ?? 'UNSET';
  const theirs = mtlsModeOf(decider.spec.mtls) ?? 'UNSET';
  const created = (o: MeshObject) => creationTime(o) || 'no creationTimestamp';
  ctx.report(pa, `${scope} PeerAuthentication is ignored by istiod: at this level it uses the oldest policy (creation time, then name), ` +
    `${decider.namespace}/${decider.name} (${created(decider)}, mtls.mode ${theirs}), not this one (${created(pa)}), so its mtls.mode ${mode} applies to no workload; ` +
    `${creationTime(pa) === '' && creationTime(decider) === '' ? 'without creationTimestamps the order is by name, as when both are applied together (in a cluster the one created first decides); ' : ''}` +
    `merge it into ${decider.namespace}/${decider.name} and delete one of the two`, { path: isRecord(pa.spec.mtls) ? ['spec', 'mtls', 'mode'] : ['spec'], severity: 'warning' });
}

/**
 * A PeerAuthentication with a selector in the root namespace: istiod ignores it (policy_applier.go
 * ComposePeerAuthentication takes a selector policy as workload-level only outside the root namespace), so it
 * changes no workload's mTLS, neither weakening nor strengthening it.
 */
function reportIgnored(ctx: RuleContext, pa: MeshObject): void {
  const mode = mtlsModeOf(pa.spec.mtls) ?? 'UNSET';
  ctx.report(pa, `PeerAuthentication with a selector in the root namespace ${pa.namespace} is ignored by istiod (only a selector-less policy there is mesh-wide, ` +
    `and workload-level policies count only outside the root namespace), so its mtls.mode ${mode} applies to no workload; move it to the namespace of the ` +
    'workloads it selects, or remove the selector to make it the mesh-wide policy', { path: ['spec', 'selector'], severity: 'warning' });
}

function checkWeakening(ctx: RuleContext, pa: MeshObject, workloadLevel: boolean): void {
  if ((pa.annotations[MTLS_EXCEPTION_ANNOTATION] ?? '').trim() !== '') return;
  const scope = workloadLevel ? 'workload-level' : 'namespace-level';
  const fix = `add the annotation ${MTLS_EXCEPTION_ANNOTATION}: "<why>" to document the exception, or use STRICT`;
  const mode = mtlsModeOf(pa.spec.mtls);
  if (mode === 'PERMISSIVE' || mode === 'DISABLE') {
    ctx.report(pa, `${scope} PeerAuthentication sets mtls.mode ${mode}, weakening mesh-wide STRICT mTLS without a reason; ${fix}`, { path: ['spec', 'mtls', 'mode'] });
  }
  const ports = isRecord(pa.spec.portLevelMtls) ? pa.spec.portLevelMtls : {};
  for (const [port, setting] of Object.entries(ports)) {
    const portMode = mtlsModeOf(setting);
    if (portMode !== 'PERMISSIVE' && portMode !== 'DISABLE') continue;
    ctx.report(pa, `${scope} PeerAuthentication sets portLevelMtls ${port} to ${portMode}, weakening mesh-wide STRICT mTLS without a reason; ${fix}`, {
      path: ['spec', 'portLevelMtls', port, 'mode'],
    });
  }
}

function reportMissing(graph: MeshGraph, ctx: RuleContext): void {
  const anchor = graph.ofKind('PeerAuthentication')[0] ?? graph.ofKind('Namespace')[0] ?? graph.workloads.inInput[0]?.object;
  if (!anchor) return;
  ctx.report(anchor, `no mesh-wide PeerAuthentication in the input: add one named "default" in namespace ${graph.rootNamespace}, without selector, ` +
    'with spec.mtls.mode: STRICT (or set option requireMeshWide: false if another repository owns it)');
}

export default meshStrictMtls;
