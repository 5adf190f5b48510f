import { isRecord } from './object.js';
import type { ContainerPort, Workload } from './workloads.js';

/**
 * The port Istio's sidecar injection declares on the `istio-proxy` container it adds (and on a
 * gateway's injected proxy): Prometheus stats, `containerPort: 15090`, `name: http-envoy-prom`.
 */
export const INJECTED_PROXY_PORT: ContainerPort = { container: 'istio-proxy', containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' };

/**
 * Every port the pods of `w` declare, where Kubernetes looks a Service's named `targetPort` up
 * (`podutil.FindPort`): the containers' ports ({@link Workload.containerPorts}), then those of its
 * native sidecars (init containers with `restartPolicy: Always`, Kubernetes 1.29+). Plain init
 * containers have ended before the pod is ready and are not looked at. With `injected`, the port the
 * injected `istio-proxy` container declares ({@link INJECTED_PROXY_PORT}) counts as well. A
 * WorkloadEntry has none.
 */
export function declaredPodPorts(w: Workload, injected = false): ContainerPort[] {
  const out = [...w.containerPorts];
  let template: unknown = w.kind === 'WorkloadEntry' ? undefined : w.object.body;
  for (const step of w.templatePath) template = isRecord(template) ? template[step] : undefined;
  const spec = isRecord(template) && isRecord(template.spec) ? template.spec : {};
  for (const c of Array.isArray(spec.initContainers) ? spec.initContainers : []) {
    if (!isRecord(c) || c.restartPolicy !== 'Always') continue;
    for (const p of Array.isArray(c.ports) ? c.ports : []) {
      if (!isRecord(p) || typeof p.containerPort !== 'number') continue;
      out.push({
        container: typeof c.name === 'string' ? c.name : '',
        containerPort: p.containerPort,
        ...(typeof p.name === 'string' ? { name: p.name } : {}),
        protocol: typeof p.protocol === 'string' ? p.protocol : 'TCP',
      });
    }
  }
  if (injected) out.push(INJECTED_PROXY_PORT);
  return out;
}
