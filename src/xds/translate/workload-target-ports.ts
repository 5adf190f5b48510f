import { closest } from '../../did-you-mean.js';
import type { MeshGraph } from '../../mesh/graph.js';
import type { WorkloadInstance } from './workload-file.js';

/**
 * One sentence per (workload-file entry, Service port) whose named `targetPort` (`targetPort: web`)
 * is not a key of the entry's `ports`: the entry gets no endpoint for that Service port
 * (`targetPort` in `endpoints.ts`, as the EndpointSlice controller leaves out a pod without a
 * container port of that name), so every request to it ends 503 UH. The fix names the port number
 * to add: the entry's own misspelt key (`"wbe"`), else the container port of that name of a pod
 * template of the input whose labels the entry carries, else a placeholder.
 * `file` names the file, as the parse errors do (`workloads.json: workloads[0] …`).
 */
export function workloadsMissingTargetPorts(graph: MeshGraph, workloads: readonly WorkloadInstance[], file: string): string[] {
  const out: string[] = [];
  workloads.forEach((w, i) => {
    for (const service of graph.services.selecting(w.namespace, w.labels)) {
      if (service.kind !== 'Service') continue;
      for (const p of service.ports) {
        const target = p.targetPort;
        if (typeof target !== 'string' || target === '' || /^\d+$/.test(target) || w.ports[target] !== undefined) continue;
        const keys = Object.keys(w.ports);
        const near = closest(target, keys);
        const number = (near !== undefined ? w.ports[near] : undefined) ?? templatePort(graph, w, target);
        const given = keys.length === 0 ? 'it gives no ports' : `not in its ports {${keys.map((k) => `"${k}"`).join(', ')}}${near ? ` ("${near}" misspelt?)` : ''}`;
        out.push(`${file}: workloads[${i}] (${w.namespace}/${w.name} at ${w.address}): Service ${service.object.namespace}/${service.object.name} port ${p.name || p.number} targets port "${target}", ${given}, so it gets no endpoint for that port (every request 503 UH); add "ports":{"${target}":${number ?? '<container port>'}}`);
      }
    }
  });
  return out;
}

/** The number of the container port named `name` of a pod template (Deployment, Pod…) of `w`'s namespace whose labels `w` carries. */
function templatePort(graph: MeshGraph, w: WorkloadInstance, name: string): number | undefined {
  for (const t of graph.workloads.inNamespace(w.namespace)) {
    const labels = Object.entries(t.labels);
    if (labels.length === 0 || !labels.every(([k, v]) => w.labels[k] === v)) continue;
    const port = t.containerPorts.find((c) => c.name === name);
    if (port) return port.containerPort;
  }
  return undefined;
}

/** The count line of {@link workloadsMissingTargetPorts} notes past the bound (`boundedNotes`). */
export function moreMissingTargetPorts(rest: number): string {
  return `${rest} more workload ${rest === 1 ? 'entry' : 'entries'} without the port a Service targets`;
}
