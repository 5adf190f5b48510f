import { isRecord, stringMap } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { servicePortTarget } from '../_service-port-target.js';

/**
 * `sidecar/ingress-port-is-service-port`: a Sidecar ingress listener names a Service port whose traffic
 * reaches the selected workloads on another (container) port, so the listener receives nothing; or its
 * defaultEndpoint forwards to such a Service port, where the application does not listen.
 */
const ingressPortIsServicePort: Rule = {
  id: 'sidecar/ingress-port-is-service-port',
  severity: 'warning',
  summary: 'A Sidecar ingress listener (its port or its defaultEndpoint) names a Service port instead of the container port that Service port targets, so no traffic arrives on it, or it forwards where nothing listens.',
  docs: [
    'A Sidecar `ingress[].port.number` is the port traffic arrives on AT THE WORKLOAD: the inbound filter chain matches the',
    'original destination port, which kube-proxy has already turned from the Service port into its targetPort',
    '(pilot/pkg/networking/core/listener_inbound.go builds the chains from the Sidecar ingress ports when it declares',
    'them). A listener on Service port 80 of a Service that targets container port 8080 therefore receives nothing, and',
    'the real traffic on 8080 gets none of its protocol, bind or defaultEndpoint. Reported only when the number is a port',
    'of a Service (or a ServiceEntry whose workloadSelector picks them) selecting the Sidecar\'s workloads and that',
    'port targets another port on all of them (a workload may',
    'also listen on ports it does not declare). Likewise `defaultEndpoint` (127.0.0.1:<port>) is where the application',
    'listens inside the pod: one naming such a Service port, which no container of the workloads declares, forwards',
    'every request to a closed port (503). Fix: use the targetPort, as the message says.',
  ].join(' '),
  kinds: ['Sidecar', 'Service', 'ServiceEntry', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    for (const sc of graph.ofKind('Sidecar')) {
      if (sc.namespace === graph.rootNamespace || !Array.isArray(sc.spec.ingress)) continue;
      const selector = isRecord(sc.spec.workloadSelector) ? stringMap(sc.spec.workloadSelector.labels) : {};
      const workloads = graph.workloadsSelectedBy(sc.namespace, selector);
      if (workloads.length === 0) continue;
      sc.spec.ingress.forEach((l, i) => {
        const number = isRecord(l) && isRecord(l.port) ? l.port.number : undefined;
        if (typeof number !== 'number') return;
        const listener = servicePortTarget(graph, workloads, number);
        if (listener) {
          ctx.report(sc, `Ingress listener port ${number} is port ${number} of ${listener.service}, which sends its traffic to the workloads' port ${listener.target}: ` +
            `a Sidecar ingress port is the port traffic arrives on at the workload, so this listener receives nothing and the traffic on ${listener.target} gets none of its settings; ` +
            `write number: ${listener.target}`, { path: ['spec', 'ingress', i, 'port', 'number'] });
          return;
        }
        const endpoint = typeof l.defaultEndpoint === 'string' ? /^(127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):(\d+)$/.exec(l.defaultEndpoint) : null;
        const port = endpoint ? Number(endpoint[2]) : undefined;
        if (port === undefined || port === number || workloads.some((w) => w.containerPorts.some((c) => c.containerPort === port))) return;
        const forward = servicePortTarget(graph, workloads, port);
        if (!forward) return;
        ctx.report(sc, `Ingress listener ${number} forwards to defaultEndpoint ${String(l.defaultEndpoint)}, but ${port} is port ${port} of ${forward.service}, ` +
          `which the workloads receive on ${forward.target}: the defaultEndpoint is where the application listens inside the pod, and no container declares ${port}, ` +
          `so every request gets 503 (connection refused); write defaultEndpoint: ${endpoint![1]}:${forward.target}`, { path: ['spec', 'ingress', i, 'defaultEndpoint'] });
      });
    }
  },
};

export default ingressPortIsServicePort;
