import type { ServiceInfo, Workload } from '../../../mesh/graph.js';
import type { MeshGraph } from '../../../mesh/graph.js';
import type { MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { clientTlsSettings } from '../tls/_helpers.js';
import { describePolicy, describeWorkload } from './_helpers.js';

const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

/**
 * `security/workload-entry-without-tls-mode`: a WorkloadEntry naming neither `serviceAccount` nor the
 * `security.istio.io/tlsMode` label, where the mesh expects an Istio sidecar on it.
 */
const workloadEntryWithoutTlsMode: Rule = {
  id: 'security/workload-entry-without-tls-mode',
  severity: 'warning',
  summary: 'A WorkloadEntry names neither serviceAccount nor the security.istio.io/tlsMode label while the mesh expects it to run the sidecar (sidecar siblings behind its service, a PeerAuthentication selecting it, or ISTIO_MUTUAL toward it): istiod gives it TLS mode disabled, so auto mTLS sends it plaintext.',
  docs: [
    'istiod reads an endpoint\'s TLS mode from a WorkloadEntry (serviceentry/conversion.go getTLSModeFromWorkloadEntry):',
    'the `security.istio.io/tlsMode` label when present, else `istio` when `spec.serviceAccount` is set, else `disabled`.',
    'Auto mTLS sends plaintext to `disabled` endpoints, and `meshproof xds compile` makes no proxy for the entry.',
    'That is right for a VM without the Istio sidecar, so the rule speaks only where the mesh expects one: another',
    'workload behind one of its services (a Kubernetes Service selector or a ServiceEntry `workloadSelector`) runs the',
    'sidecar, a PeerAuthentication selects the entry by its labels, or a DestinationRule for one of its hosts sets',
    '`tls.mode: ISTIO_MUTUAL`. When the PeerAuthentication in force on it is STRICT and clients use auto mTLS (no',
    'ISTIO_MUTUAL toward it), its sidecar refuses the plaintext: calls to it fail (error). Otherwise calls arrive in',
    'plaintext without a peer identity, so AuthorizationPolicies matching `principals` or `namespaces` deny them and',
    'the traffic is unencrypted (warning). `security/istio-mutual-toward-plaintext` reports the DestinationRule side.',
    'Fix: set `spec.serviceAccount` to the identity the VM\'s sidecar runs as, or label the entry',
    '`security.istio.io/tlsMode: istio`.',
  ].join(' '),
  kinds: ['WorkloadEntry', 'Service', 'ServiceEntry', 'PeerAuthentication', 'DestinationRule', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod', 'Namespace'],
  check(graph, ctx) {
    for (const w of graph.workloads.all) {
      if (w.kind !== 'WorkloadEntry' || w.labels[TLS_MODE_LABEL] !== undefined || hasServiceAccount(w.object)) continue;
      const services = [...graph.services.selecting(w.namespace, w.labels), ...graph.services.entriesSelecting(w.namespace, w.labels)];
      const mutual = istioMutualToward(graph, services);
      const expected = sidecarSibling(graph, w, services) ?? selectingPolicy(graph, w) ?? (mutual && `${describeObject(mutual)} sets tls.mode ISTIO_MUTUAL toward ${services.find((s) => graph.servicesForHost(String(mutual.spec.host), mutual.namespace).includes(s))?.host ?? 'it'}`);
      if (!expected) continue;
      const strict = strictOn(graph, w, services);
      const base = `WorkloadEntry ${w.namespace}/${w.name} names neither spec.serviceAccount nor the ${TLS_MODE_LABEL} label, so istiod gives it TLS mode disabled and auto mTLS sends it plaintext, yet ${expected}`;
      const fix = `set spec.serviceAccount to the service account its sidecar runs as, or label it ${TLS_MODE_LABEL}: istio`;
      if (strict && !mutual) {
        ctx.report(w.object, `${base}; ${strict} is STRICT on it, so its sidecar refuses that plaintext and calls to it fail. Fix: ${fix}`, { path: ['spec'], severity: 'error' });
      } else if (mutual) {
        ctx.report(w.object, `${base}; ${describeObject(mutual)}'s ISTIO_MUTUAL makes callers originate mTLS to it all the same, but istiod knows no identity for it: if it runs no sidecar every call to it fails, and meshproof xds compile makes no proxy for it. Fix: ${fix}`, { path: ['spec'] });
      } else {
        ctx.report(w.object, `${base}; calls reach it without mTLS or a peer identity (AuthorizationPolicies matching principals or namespaces deny them). Fix: ${fix}`, { path: ['spec'] });
      }
    }
  },
};

/** Whether `spec.serviceAccount` is a non-empty string (istiod reads it as written: no default). */
function hasServiceAccount(o: MeshObject): boolean {
  return typeof o.spec.serviceAccount === 'string' && o.spec.serviceAccount !== '';
}

function describeObject(o: MeshObject): string {
  return `${o.kind} ${o.namespace}/${o.name}`;
}

/** `Kind ns/name behind <host> runs the Istio sidecar` for the first other workload of `services` that does. */
function sidecarSibling(graph: MeshGraph, w: Workload, services: readonly ServiceInfo[]): string | undefined {
  for (const s of services) {
    if (!s.selector) continue;
    const sibling = graph.workloadsSelectedBy(s.namespace, s.selector).find((o) => o !== w && graph.membershipOf(o).dataplane === 'sidecar');
    if (sibling) return `${describeWorkload(sibling)} behind ${s.host} runs the Istio sidecar`;
  }
  return undefined;
}

/** `PeerAuthentication ns/name selects it` when a workload-level PeerAuthentication selects the entry. */
function selectingPolicy(graph: MeshGraph, w: Workload): string | undefined {
  const pa = graph.peerAuthenticationsFor(w).workload[0];
  return pa ? `${describePolicy(pa)} selects it` : undefined;
}

/** A DestinationRule for one of `services`' hosts with a `tls.mode: ISTIO_MUTUAL` block. */
function istioMutualToward(graph: MeshGraph, services: readonly ServiceInfo[]): MeshObject | undefined {
  if (services.length === 0) return undefined;
  return graph.ofKind('DestinationRule').find((dr) => typeof dr.spec.host === 'string'
    && graph.servicesForHost(dr.spec.host, dr.namespace).some((s) => services.includes(s))
    && [...clientTlsSettings(dr, false), ...clientTlsSettings(dr, true)].some((at) => at.tls.mode === 'ISTIO_MUTUAL'));
}

/** The policy that makes the entry STRICT, workload-wide or on a port of its services; undefined when none does. */
function strictOn(graph: MeshGraph, w: Workload, services: readonly ServiceInfo[]): string | undefined {
  const ports = [undefined, ...services.flatMap((s) => s.ports.map((p) => p.number))];
  for (const port of ports) {
    const d = graph.mtlsModeFor(w, port);
    if (d.mode === 'STRICT') return `${describePolicy(d.policy)}${port !== undefined ? ` (port ${port})` : ''}`;
  }
  return undefined;
}

export default workloadEntryWithoutTlsMode;
