import { declaredPodPorts } from '../../../mesh/pod-ports.js';
import type { Rule } from '../../rule.js';
import { servicesWithPods, workloadList } from './_target-ports.js';

/** `service/undeclared-target-port`: a numeric `targetPort` that no container of the selected pods declares. */
const undeclaredTargetPort: Rule = {
  id: 'service/undeclared-target-port',
  severity: 'warning',
  summary: 'A Service\'s numeric `targetPort` is no `containerPort` of the pods it selects (a typo such as 3000 → 3001 is the usual cause).',
  docs: [
    'Kubernetes sends a Service port\'s traffic to its numeric `targetPort` whether or not a container declares it:',
    '`containerPort` is informational. So when the pods the Service selects declare their ports and none of them is',
    'the `targetPort`, traffic goes to a port the declarations say nothing listens on, and clients see connection',
    'refused or, through the sidecar, 503 (upstream connect error). This is a warning, not an error, because an app may listen on a port it does not declare.',
    'Checked only when the Service selects workloads of the input (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout)',
    'and every one of them declares container ports (ports of native sidecars, init containers with `restartPolicy: Always`, count);',
    'gateway pods (their listeners come from Gateway resources) are not checked. A `targetPort` left unset is the port number.',
    'A named `targetPort` is `service/unknown-target-port-name`. Fix: set `targetPort` to the port the app listens on, and declare it.',
  ].join(' '),
  kinds: ['Service', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod', 'Rollout', 'Namespace'],
  check(graph, ctx) {
    for (const { service, workloads, ports } of servicesWithPods(graph)) {
      const pods = workloads.filter((w) => graph.membershipOf(w).dataplane !== 'gateway');
      if (pods.length === 0 || pods.some((w) => w.containerPorts.length === 0)) continue;
      const own = [...new Set(pods.flatMap((w) => declaredPodPorts(w).map((c) => c.containerPort)))].sort((a, b) => a - b);
      // An injected sidecar declares its stats port as well.
      const numbers = new Set(pods.flatMap((w) => declaredPodPorts(w, graph.membershipOf(w).dataplane === 'sidecar').map((c) => c.containerPort)));
      for (const p of ports) {
        if (typeof p.target !== 'number' || numbers.has(p.target)) continue;
        const listed = own;
        ctx.report(service, `Port ${p.port} sends to targetPort ${p.target}, which no container of ${workloadList(pods)} declares ` +
          `(${pods.length === 1 ? 'it declares' : 'they declare'} ${listed.join(', ')}): Kubernetes still sends the traffic there (containerPort is informational), ` +
          `so it is answered only if the app listens on ${p.target}; if that is a typo, set targetPort to the port the app listens on`, { path: p.path });
      }
    }
  },
};

export default undeclaredTargetPort;
