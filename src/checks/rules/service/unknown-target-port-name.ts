import type { Workload } from '../../../mesh/graph.js';
import { declaredPodPorts } from '../../../mesh/pod-ports.js';
import { closest } from '../../../did-you-mean.js';
import type { Rule } from '../../rule.js';
import { servicesWithPods, workloadList } from './_target-ports.js';

/** `service/unknown-target-port-name`: a named `targetPort` that no container of (some of) the selected pods declares. */
const unknownTargetPortName: Rule = {
  id: 'service/unknown-target-port-name',
  severity: 'error',
  summary: 'A Service\'s named `targetPort` is the name of no container port (with the Service port\'s protocol) of the pods it selects, so those pods get no endpoint for that port.',
  docs: [
    'A named `targetPort` is looked up in each selected pod (`podutil.FindPort`): the first container port with that',
    '`name` and the Service port\'s `protocol` (TCP when unset), among the containers, then the native sidecars (init',
    'containers with `restartPolicy: Always`). A pod with no such port is left out of the port\'s endpoints: when no',
    'selected pod has it, the port has no endpoints at all and every request fails (503 no healthy upstream through',
    'a sidecar, connection refused without one). Checked only for Services that select workloads of the input',
    '(Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout); on meshed pods the `http-envoy-prom`',
    'port the injected `istio-proxy` declares counts. A numeric `targetPort` is `service/undeclared-target-port`.',
    'Fix: name the container port like the `targetPort` (or the `targetPort` like the container port), with the same protocol.',
  ].join(' '),
  kinds: ['Service', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod', 'Rollout', 'Namespace'],
  check(graph, ctx) {
    for (const { service, workloads, ports } of servicesWithPods(graph)) {
      for (const p of ports) {
        // A digits-only string is no port name: the API server refuses it (schema/service-ports).
        if (typeof p.target !== 'string' || /^\d+$/.test(p.target)) continue;
        const missing: Workload[] = [];
        const declaredNames = new Set<string>();
        let otherProtocol: string | undefined;
        for (const w of workloads) {
          const declared = declaredPodPorts(w, graph.membershipOf(w).meshed && graph.membershipOf(w).dataplane !== 'ambient');
          for (const c of declared) if (c.name) declaredNames.add(c.name);
          const named = declared.filter((c) => c.name === p.target);
          if (named.some((c) => c.protocol === p.protocol)) continue;
          missing.push(w);
          otherProtocol ??= named[0]?.protocol;
        }
        if (missing.length === 0) continue;
        const why = otherProtocol !== undefined ? ` with protocol ${p.protocol} (a container port of that name is ${otherProtocol})` : '';
        const effect = missing.length === workloads.length
          ? 'so the port has no endpoints at all and every request to it fails'
          : `so their pods get no endpoint for this port (${workloadList(workloads.filter((w) => !missing.includes(w)))} ${workloads.length - missing.length === 1 ? 'declares' : 'declare'} it)`;
        const near = otherProtocol === undefined ? closest(p.target, declaredNames) : undefined;
        ctx.report(service, `Port ${p.port} sends to targetPort "${p.target}", a name no container port of ${workloadList(missing)} has${why}, ${effect}; ` +
          (near !== undefined ? `did you mean "${near}"? ` : '') +
          'name the container port like the targetPort, or set targetPort to a name (or number) the pods declare', { path: p.path });
      }
    }
  },
};

export default unknownTargetPortName;
