import { closest } from '../../did-you-mean.js';
import type { MeshGraph } from '../../mesh/graph.js';
import type { WorkloadInstance } from './workload-file.js';
import { GATEWAY_NAME_LABEL } from '../../mesh/gateway-api-deployment.js';
import { GATEWAY_API_GROUP } from '../../mesh/gateway-api.js';

/**
 * One sentence per workload-file entry that backs no Service: its namespace holds no object of the
 * input, or its labels match no Service `selector` (nor ServiceEntry `workloadSelector`) of its
 * namespace. Such an entry is an endpoint of nothing, which is almost always a typo in its namespace
 * or labels. `file` names the file, as the parse errors do (`workloads.json: workloads[3] …`).
 */
export function workloadsBackingNothing(graph: MeshGraph, workloads: readonly WorkloadInstance[], file: string): string[] {
  const namespaces = new Set<string>();
  for (const o of graph.objects) {
    if (o.namespace !== '') namespaces.add(o.namespace);
    if (o.kind === 'Namespace' && o.group === '') namespaces.add(o.name);
  }
  const out: string[] = [];
  workloads.forEach((w, i) => {
    const at = `${file}: workloads[${i}] (${w.namespace}/${w.name} at ${w.address})`;
    if (!namespaces.has(w.namespace)) {
      const near = closest(w.namespace, namespaces);
      out.push(`${at}: namespace "${w.namespace}" has no object in the input${near ? ` (did you mean "${near}"?)` : ''}, so it backs no Service and gets no traffic`);
      return;
    }
    if (graph.services.selecting(w.namespace, w.labels).length > 0 || graph.services.entriesSelecting(w.namespace, w.labels).length > 0) return;
    // A pod of a Gateway API Gateway's automated deployment backs the Service istiod creates with it (not in the input).
    const gateway = w.labels[GATEWAY_NAME_LABEL];
    if (gateway !== undefined && graph.objects.some((o) => o.kind === 'Gateway' && o.group === GATEWAY_API_GROUP && o.namespace === w.namespace && o.name === gateway)) return;
    const labels = Object.entries(w.labels).map(([k, v]) => `${k}: ${v}`).join(', ');
    out.push(`${at}: its labels {${labels}} match no Service selector in namespace ${w.namespace}, so it backs no Service and gets no traffic`);
  });
  return out;
}

/**
 * At most `max` of `notes` as lines, each after `prefix`, and one line counting the rest, worded by
 * `more` (default `xds serve: … and 12 more workload entries that back no Service`).
 */
export function boundedNotes(prefix: string, notes: readonly string[], max = 5, more: (rest: number) => string = backNoService): string[] {
  const lines = notes.slice(0, max).map((n) => `${prefix}${n}`);
  const rest = notes.length - max;
  if (rest > 0) lines.push(`${prefix}… and ${more(rest)}`);
  return lines;
}

function backNoService(rest: number): string {
  return `${rest} more workload ${rest === 1 ? 'entry' : 'entries'} that back no Service`;
}
