import type { MeshGraph, ServiceInfo, ServicePort, Workload } from '../../../mesh/graph.js';
import { isRecord, stringMap, type MeshObject } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { clientTlsSettings, describeTarget, type ClientTlsAt } from '../tls/_helpers.js';
import { describePolicy, describeWorkload, type MtlsDecision } from './_helpers.js';

/** `security/tls-disable-toward-strict`: plaintext toward workloads that only accept mTLS. */
const tlsDisableTowardStrict: Rule = {
  id: 'security/tls-disable-toward-strict',
  severity: 'error',
  summary: 'A DestinationRule sets tls.mode DISABLE toward workloads whose PeerAuthentication is STRICT, so every connection is rejected.',
  docs: [
    '`tls.mode: DISABLE` (top level, in a subset, or in `portLevelSettings`) makes client sidecars send plaintext',
    'and turns off auto-mTLS for that traffic. When the destination workloads accept only mTLS (their effective',
    'PeerAuthentication, with UNSET modes inherited and `portLevelMtls` applied to the target port, is STRICT),',
    'the server sidecar resets every such connection and clients see 503 (`UC`/`URX`). Fix: delete the `tls`',
    'block so auto-mTLS applies, or set `mode: ISTIO_MUTUAL`; if plaintext is really wanted, add a documented',
    'PERMISSIVE exception for that workload or port. Only hosts backed by a Service or ServiceEntry with a',
    'selector are checked, since only their workloads are known.',
  ].join(' '),
  kinds: ['DestinationRule', 'PeerAuthentication', 'Service', 'ServiceEntry', 'Deployment', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      if (typeof dr.spec.host !== 'string') continue;
      const services = graph.servicesForHost(dr.spec.host, dr.namespace).filter((s) => s.selector !== null);
      if (services.length === 0) continue;
      const portLevel = clientTlsSettings(dr, true);
      for (const at of [...clientTlsSettings(dr, false), ...portLevel]) {
        if (at.tls.mode !== 'DISABLE') continue;
        const overridden = new Set(at.port === undefined ? portLevel.filter((p) => p.subset === at.subset && p.port !== undefined).map((p) => p.port!) : []);
        const hit = strictTarget(graph, dr, services, at, overridden);
        if (!hit) continue;
        ctx.report(dr, `tls.mode DISABLE ${describeTarget(dr, at)} sends plaintext, but ${describeWorkload(hit.workload)} accepts only mTLS` +
          `${hit.port !== undefined ? ` on port ${hit.port}` : ''} (${describePolicy(hit.decision.policy)} is STRICT), so its sidecar rejects ` +
          'these connections (503); remove the tls block to let auto-mTLS apply, or use mode ISTIO_MUTUAL', { path: [...at.path, 'mode'] });
      }
    }
  },
};

interface StrictHit {
  readonly workload: Workload;
  readonly port: number | undefined;
  readonly decision: MtlsDecision;
}

/** The first workload behind `services` (narrowed to the subset) that is STRICT on a port this TLS block governs. */
function strictTarget(graph: MeshGraph, dr: MeshObject, services: ServiceInfo[], at: ClientTlsAt, overridden: Set<number>): StrictHit | undefined {
  const subsetLabels = at.subset === undefined ? {} : labelsOfSubset(dr, at.subset);
  for (const s of services) {
    const ports: (ServicePort | undefined)[] = at.port !== undefined
      ? [s.ports.find((p) => p.number === at.port) ?? { number: at.port, name: '', protocol: 'TCP', path: [] }]
      : s.ports.filter((p) => !overridden.has(p.number));
    if (at.port === undefined && s.ports.length === 0) ports.push(undefined);
    for (const w of graph.workloadsSelectedBy(s.namespace, { ...s.selector, ...subsetLabels })) {
      for (const p of ports) {
        const port = p && targetPortOf(p, w);
        const decision = graph.mtlsModeFor(w, port);
        if (decision.mode === 'STRICT') return { workload: w, port, decision };
      }
    }
  }
  return undefined;
}

function labelsOfSubset(dr: MeshObject, name: string): Record<string, string> {
  const subsets = Array.isArray(dr.spec.subsets) ? dr.spec.subsets : [];
  const s = subsets.find((x) => isRecord(x) && x.name === name);
  return isRecord(s) ? stringMap(s.labels) : {};
}

/** The workload port a service port sends to: numeric targetPort, a named container port, or the port itself. */
function targetPortOf(p: ServicePort, w: Workload): number {
  if (typeof p.targetPort === 'number') return p.targetPort;
  if (typeof p.targetPort === 'string') return w.containerPorts.find((c) => c.name === p.targetPort)?.containerPort ?? p.number;
  return p.number;
}

export default tlsDisableTowardStrict;
