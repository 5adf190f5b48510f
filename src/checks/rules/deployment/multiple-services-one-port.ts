import type { Rule } from '../../rule.js';
import { meshedDeploymentsWithServices, rawPorts } from './_services.js';

/** `deployment/multiple-services-one-port` (IST0116): Services of one Deployment use a port number with different protocols. */
const multipleServicesOnePort: Rule = {
  id: 'deployment/multiple-services-one-port',
  istioCode: 'IST0116',
  severity: 'warning',
  summary: 'A meshed Deployment is selected by Services that use the same port number with different Kubernetes protocols (TCP/UDP/SCTP).',
  docs: [
    'istiod keys a workload\'s inbound listeners by port: when two Services selecting the same pods declare port N',
    'once as TCP and once as UDP (or SCTP), only one of them is configured. As `istioctl analyze` IST0116',
    '(DeploymentAssociatedToMultipleServices): meshed Deployments (and Argo Rollouts with a template) only, Services of the same namespace whose selector',
    'matches the pod template. Fix: use different port numbers, or one Service.',
  ].join(' '),
  kinds: ['Deployment', 'Rollout', 'Service', 'Namespace'],
  check(graph, ctx) {
    for (const { workload, services } of meshedDeploymentsWithServices(graph)) {
      const byPort = new Map<number, Map<string, string[]>>();
      for (const s of services) {
        for (const p of rawPorts(s)) {
          let m = byPort.get(p.port);
          if (!m) byPort.set(p.port, (m = new Map()));
          m.set(p.protocol, [...(m.get(p.protocol) ?? []), `${s.namespace}/${s.object.name}`]);
        }
      }
      for (const [port, protocols] of byPort) {
        if (protocols.size < 2) continue;
        const names = [...protocols.values()].flat().sort();
        ctx.report(workload.object, `This ${workload.kind} is associated with multiple services using port ${port} but different protocols: ${names.join(', ')}; use different port numbers or one Service`, { path: ['metadata', 'name'] });
      }
    }
  },
};

export default multipleServicesOnePort;
