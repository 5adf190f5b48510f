import { validateWorkloadNumbers } from '../../../validate/kubernetes.js';
import type { Rule } from '../../rule.js';

/**
 * `schema/workload-ranges`: a number of a core workload object the API server refuses, found with
 * the CRD machinery (src/validate/kubernetes.ts) against the int32 fields of the Kubernetes OpenAPI.
 */
const workloadRanges: Rule = {
  id: 'schema/workload-ranges',
  severity: 'error',
  summary: 'A number of a Deployment, StatefulSet, ReplicaSet, DaemonSet, Job, CronJob, Pod, ReplicationController or PodTemplate the API server refuses: an int32 field (replicas, minReadySeconds, probe timings, volume modes…) that is not an integer from -2147483648 to 2147483647, or a containerPort, hostPort or gRPC probe port that is not a port number.',
  docs: [
    'Every field the Kubernetes OpenAPI types `integer` with `format: int32` is decoded by the API server into a Go',
    'int32: a value outside -2147483648…2147483647 (`replicas: 99999999999`), a fraction or a string fails to decode,',
    'and the whole object is refused on apply, so Argo CD\'s sync fails while the rest of the gate is green. The',
    'fields are those of apps/v1 Deployment, StatefulSet, ReplicaSet and DaemonSet, batch/v1 Job and CronJob, and',
    'v1 Pod, ReplicationController and PodTemplate, pod templates included (Kubernetes OpenAPI v1.34 as',
    '@kubernetes/client-node types it, vendored in `schemas/kubernetes/workload-ranges.json`; status is not',
    'checked). Ports get the range validation gives them: `containerPort` and a gRPC probe `port` 1-65535,',
    '`hostPort` 0-65535 (ValidateContainerPorts, validateProbe). The message names the field, the range and the',
    'value. Fix the field the finding points at.',
  ].join(' '),
  kinds: ['Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet', 'Job', 'CronJob', 'Pod', 'ReplicationController', 'PodTemplate'],
  check(graph, ctx) {
    for (const o of graph.objects) {
      for (const v of validateWorkloadNumbers(o.body)) ctx.report(o, `Schema validation error: ${v.message}`, { path: v.path });
    }
  },
};

export default workloadRanges;
