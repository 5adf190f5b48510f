import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { LABEL_FIX, labelProblems } from './_labels.js';

/** Istio's validProbeHeaderNameRegex (ValidateProbeHeaderName): no `_`, unlike the CRD's pattern. */
const PROBE_HEADER_NAME = /^[-A-Za-z0-9]+$/;

/**
 * What validateReadinessProbe refuses in `spec.probe` beyond the CRD schema: no health check method or `grpc` (the
 * webhook knows httpGet, tcpSocket and exec only: "unknown health check method"), `exec.command: []`, and an httpGet
 * header name that is empty or holds anything but letters, digits and `-`. Each problem is `[message, path]`.
 */
function probeProblems(probe: unknown): [string, FieldPath][] {
  if (!isRecord(probe)) return [];
  const at: FieldPath = ['spec', 'probe'];
  const method = ['httpGet', 'tcpSocket', 'exec'].find((m) => isRecord(probe[m]));
  if (!method) {
    const grpc = isRecord(probe.grpc);
    return [[`unknown health check method ${grpc ? '*networking.ReadinessProbe_Grpc' : '<nil>'}: spec.probe ${grpc ? 'uses grpc, which the webhook does not accept' : 'names no check'}; ` +
      'use httpGet {port, path}, tcpSocket {port} or exec {command}', grpc ? [...at, 'grpc'] : at]];
  }
  const out: [string, FieldPath][] = [];
  if (method === 'exec') {
    const command = (probe.exec as Record<string, unknown>).command;
    if (Array.isArray(command) && command.length === 0) out.push(['exec.command is required: spec.probe.exec.command is empty; give the command to run, e.g. ["cat", "/tmp/healthy"]', [...at, 'exec', 'command']]);
  }
  if (method === 'httpGet') {
    const headers = (probe.httpGet as Record<string, unknown>).httpHeaders;
    (Array.isArray(headers) ? headers : []).forEach((h, k) => {
      if (!isRecord(h)) return;
      const name = typeof h.name === 'string' ? h.name : '';
      const path: FieldPath = [...at, 'httpGet', 'httpHeaders', k, ...(name === '' ? [] : ['name'])];
      if (name === '') out.push([`header name cannot be empty: spec.probe.httpGet.httpHeaders[${k}] has no name`, path]);
      else if (!PROBE_HEADER_NAME.test(name)) out.push([`header name ${name} is not a valid header name: probe headers may hold only letters, digits and "-"; write ${JSON.stringify(name.replace(/[^-A-Za-z0-9]/g, '-'))}`, path]);
    });
  }
  return out;
}

/** `validation/workloadgroup-structure` (IST0106): what Istio's ValidateWorkloadGroup refuses beyond the CRD schema. */
const workloadGroupStructure: Rule = {
  id: 'validation/workloadgroup-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A WorkloadGroup Istio\'s admission webhook refuses: metadata labels that are not label syntax, or a readiness probe without httpGet, tcpSocket or exec (grpc included), with exec.command: [], or with a header name holding "_".',
  docs: [
    'Istio\'s `ValidateWorkloadGroup` refuses `spec.metadata.labels` that are not label syntax ("invalid labels") and',
    'runs `validateReadinessProbe` on `spec.probe`: a probe must use `httpGet`, `tcpSocket` or `exec`; one with none of',
    'them, or with `grpc` (which the CRD lists but the webhook does not accept), is refused ("unknown health check',
    'method"); `exec.command: []` is refused; an `httpGet.httpHeaders` name must be letters, digits and `-` (the CRD',
    'also allows `_`). The WorkloadGroup is refused, so VMs auto-registering into it get no WorkloadEntry. Fix: probe',
    'with httpGet or tcpSocket, rename the header, fix the labels.',
  ].join(' '),
  kinds: ['WorkloadGroup'],
  check(graph, ctx) {
    for (const wg of graph.ofKind('WorkloadGroup')) {
      const meta = isRecord(wg.spec.metadata) ? wg.spec.metadata : {};
      const labels = labelProblems(isRecord(meta.labels) ? meta.labels : {});
      if (labels.length > 0) {
        // Istio returns at the first label refusal, before the probe is looked at.
        for (const [message, key] of labels) ctx.report(wg, `invalid labels: ${message} in spec.metadata.labels: ${LABEL_FIX}`, { path: ['spec', 'metadata', 'labels', key] });
        continue;
      }
      for (const [message, path] of probeProblems(wg.spec.probe)) ctx.report(wg, message, { path });
    }
  },
};

export default workloadGroupStructure;
