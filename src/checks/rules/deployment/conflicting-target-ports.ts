import type { Rule } from '../../rule.js';
import { meshedDeploymentsWithServices, rawPorts } from './_services.js';

/** `deployment/conflicting-target-ports` (IST0137): Services of one Deployment send different ports to one targetPort. */
const conflictingTargetPorts: Rule = {
  id: 'deployment/conflicting-target-ports',
  istioCode: 'IST0137',
  severity: 'warning',
  summary: 'Services selecting one meshed Deployment (or two ports of one Service) map different service ports to the same targetPort.',
  docs: [
    'istiod builds one inbound cluster per container port, named after the service port that targets it; when',
    'Service A maps port 80 and Service B port 8080 to the same targetPort, the two compete and only one port\'s',
    'settings apply. As `istioctl analyze` IST0137 (DeploymentConflictingPorts): meshed Deployments (and Argo Rollouts with a template) only, Services of',
    'the same namespace whose selector matches the pod template, targetPort defaulting to the port; two ports of one',
    'Service count as well (serviceTargetPortsMap keys every service port). Fix: give both Services the same port',
    'number for that targetPort, or keep one of the two ports.',
  ].join(' '),
  kinds: ['Deployment', 'Rollout', 'Service', 'Namespace'],
  check(graph, ctx) {
    // One Service is enough: two of its ports may target one container port (services.go serviceTargetPortsMap).
    for (const { workload, services } of meshedDeploymentsWithServices(graph, 1)) {
      const byTarget = new Map<string, Map<number, string>>();
      for (const s of services) {
        for (const p of rawPorts(s)) {
          let m = byTarget.get(p.targetPort);
          if (!m) byTarget.set(p.targetPort, (m = new Map()));
          m.set(p.port, `${s.namespace}/${s.object.name}`);
        }
      }
      for (const [target, ports] of byTarget) {
        if (ports.size < 2) continue;
        const names = [...new Set(ports.values())].sort();
        const numbers = [...ports.keys()].sort((a, b) => a - b);
        ctx.report(workload.object, `This ${workload.kind} is associated with multiple services ${names.join(', ')} using targetPort ${target} but different ports: ${numbers.join(', ')}; use one service port for that targetPort`, { path: ['metadata', 'name'] });
      }
    }
  },
};

export default conflictingTargetPorts;
