import { isRecord, stringMap } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { servicePortTarget } from '../_service-port-target.js';

/**
 * `security/port-level-mtls-is-service-port`: a PeerAuthentication `portLevelMtls` key that is a Service port
 * whose traffic reaches the selected workloads on another port, so the mode written never applies.
 */
const portLevelMtlsIsServicePort: Rule = {
  id: 'security/port-level-mtls-is-service-port',
  severity: 'warning',
  summary: 'A PeerAuthentication portLevelMtls entry names a Service port instead of the container port that Service port targets, so its mode never applies.',
  docs: [
    'PeerAuthentication `portLevelMtls` is keyed by the port traffic arrives on AT THE WORKLOAD (its inbound listener',
    'port), not by the Service port: kube-proxy has already turned Service port 80 into its targetPort 8080',
    '(pilot/pkg/security/authn/policy_applier.go; one inbound chain per workload port). An entry for 80 on a workload',
    'behind a Service that maps 80 to 8080 changes nothing: 8080 keeps the workload\'s (or namespace\'s) mode, so the',
    'PERMISSIVE or DISABLE exception meant for the port is not there and plaintext clients are refused (or STRICT is not',
    'enforced where it was meant to be). Reported only when the key is a port of a Service (or of a ServiceEntry whose',
    'workloadSelector picks them) selecting the policy\'s',
    'workloads that targets another port on all of them, and is not itself a container port they declare. Fix: key the',
    'entry by the targetPort, as the message says.',
  ].join(' '),
  kinds: ['PeerAuthentication', 'Service', 'ServiceEntry', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod'],
  check(graph, ctx) {
    for (const pa of graph.ofKind('PeerAuthentication')) {
      const levels = pa.spec.portLevelMtls;
      if (!isRecord(levels) || !isRecord(pa.spec.selector) || pa.namespace === graph.rootNamespace) continue;
      const workloads = graph.workloadsSelectedBy(pa.namespace, stringMap(pa.spec.selector.matchLabels));
      if (workloads.length === 0) continue;
      for (const key of Object.keys(levels)) {
        const number = Number(key);
        if (!Number.isInteger(number)) continue;
        if (workloads.some((w) => w.containerPorts.some((c) => c.containerPort === number))) continue;
        const found = servicePortTarget(graph, workloads, number);
        if (!found) continue;
        const { service, target } = found;
        const mode = isRecord(levels[key]) ? String(levels[key].mode ?? 'UNSET') : 'UNSET';
        ctx.report(pa, `portLevelMtls ${number} (${mode}) is port ${number} of ${service}, which sends its traffic to the workloads' port ${target}: ` +
          `portLevelMtls is keyed by the port traffic arrives on at the workload, so this entry applies to nothing and port ${target} keeps the mode the rest of the policy, its namespace or the mesh gives it; key it ${target}`,
        { path: ['spec', 'portLevelMtls', key] });
      }
    }
  },
};

export default portLevelMtlsIsServicePort;
