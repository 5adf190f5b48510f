import { workloadPortOf } from '../../../mesh/endpoint-port.js';
import { isRecord, stringMap } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/**
 * `sidecar/ingress-port-is-service-port`: a Sidecar ingress listener names a Service port whose traffic
 * reaches the selected workloads on another (container) port, so the listener receives nothing.
 */
const ingressPortIsServicePort: Rule = {
  id: 'sidecar/ingress-port-is-service-port',
  severity: 'warning',
  summary: 'A Sidecar ingress listener names a Service port instead of the container port that Service port targets, so no traffic arrives on it.',
  docs: [
    'A Sidecar `ingress[].port.number` is the port traffic arrives on AT THE WORKLOAD: the inbound filter chain matches the',
    'original destination port, which kube-proxy has already turned from the Service port into its targetPort',
    '(pilot/pkg/networking/core/listener_inbound.go builds the chains from the Sidecar ingress ports when it declares',
    'them). A listener on Service port 80 of a Service that targets container port 8080 therefore receives nothing, and',
    'the real traffic on 8080 gets none of its protocol, bind or defaultEndpoint. Reported only when the number is a port',
    'of a Service selecting the Sidecar\'s workloads and that port targets another port on all of them (a workload may',
    'also listen on ports it does not declare). Fix: use the targetPort, as the message says.',
  ].join(' '),
  kinds: ['Sidecar', 'Service', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    for (const sc of graph.ofKind('Sidecar')) {
      if (sc.namespace === graph.rootNamespace || !Array.isArray(sc.spec.ingress)) continue;
      const selector = isRecord(sc.spec.workloadSelector) ? stringMap(sc.spec.workloadSelector.labels) : {};
      const workloads = graph.workloadsSelectedBy(sc.namespace, selector);
      if (workloads.length === 0) continue;
      sc.spec.ingress.forEach((l, i) => {
        const number = isRecord(l) && isRecord(l.port) ? l.port.number : undefined;
        if (typeof number !== 'number') return;
        // For every workload: the port a Service port `number` of a Service selecting it reaches it on.
        const targets = workloads.map((w) => graph.servicesSelecting(w).flatMap((s) => s.ports.filter((p) => p.number === number).map((p) => ({ s, target: workloadPortOf(s, p, w) }))));
        if (targets.some((t) => t.length === 0 || t.some((x) => x.target === undefined || x.target === number))) return;
        const { s, target } = targets[0]![0]!;
        ctx.report(sc, `Ingress listener port ${number} is port ${number} of Service ${s.namespace}/${s.object.name}, which sends its traffic to the workloads' port ${target}: ` +
          `a Sidecar ingress port is the port traffic arrives on at the workload, so this listener receives nothing and the traffic on ${target} gets none of its settings; ` +
          `write number: ${target}`, { path: ['spec', 'ingress', i, 'port', 'number'] });
      });
    }
  },
};

export default ingressPortIsServicePort;
