import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

/** Labels `ValidateAlphaWorkloadSelector` refuses (empty key, `*`): validation then returns before any warning. */
const badLabels = (labels: unknown): boolean =>
  isRecord(labels) && Object.entries(labels).some(([k, v]) => k === '' || k.includes('*') || (typeof v === 'string' && v.includes('*')));

/**
 * `validation/serviceentry-warnings` (IST0133): what Istio's webhook accepts on a ServiceEntry with
 * a warning. Mirrors the warnings of `ValidateServiceEntry` (`pkg/config/validation/validation.go`)
 * as `istioctl analyze`'s `schema.ValidationAnalyzer` reports them: that analyzer passes the
 * resource without its labels, so IP auto-allocation counts as on unless resolution is NONE.
 */
const serviceEntryWarnings: Rule = {
  id: 'validation/serviceentry-warnings',
  istioCode: 'IST0133',
  severity: 'warning',
  summary: 'A ServiceEntry uses something Istio accepts with a warning: a partial wildcard host, a workloadSelector with resolution NONE, or TCP ports without addresses where no address is allocated.',
  docs: [
    'Istio\'s webhook accepts these with a warning, which `istioctl analyze` reports as IST0133 (SchemaWarning): a host',
    'with a `*` that is neither `*` nor a leading `*.` label, unless `resolution: DYNAMIC_DNS` ("partial wildcard … not',
    'allowed"); `workloadSelector` with resolution NONE (the default), where no workload endpoints are used; and, with',
    'no `addresses` and resolution NONE, a port whose protocol is TCP or unset ("addresses are required for ports',
    'serving TCP (or unset) protocol when IP Autoallocation is not enabled": istiod allocates no address for',
    'resolution NONE, so the port has nothing to match on but the port number). `istioctl analyze` validates without',
    'the object\'s labels, so the `networking.istio.io/enable-autoallocate-ip: "false"` opt-out does not change its',
    'verdict here. Nothing is warned when `workloadSelector.labels` is refused (Istio returns the error alone). Fix:',
    'write the wildcard as `*.example.com`, remove the selector or use resolution STATIC, add `addresses` (or a',
    'resolution that allocates one).',
  ].join(' '),
  kinds: ['ServiceEntry'],
  check(graph, ctx) {
    for (const se of graph.ofKind('ServiceEntry')) {
      if (se.group !== 'networking.istio.io') continue;
      const selector = se.spec.workloadSelector;
      if (isRecord(selector) && badLabels(selector.labels)) continue;
      const resolution = typeof se.spec.resolution === 'string' ? se.spec.resolution : 'NONE';
      const out: [string, FieldPath][] = [];
      if (resolution !== 'DYNAMIC_DNS') {
        (Array.isArray(se.spec.hosts) ? se.spec.hosts : []).forEach((h, i) => {
          if (typeof h === 'string' && h !== '*' && h.includes('*') && !h.startsWith('*.')) {
            out.push([`partial wildcard ${JSON.stringify(h)} not allowed; a wildcard host is "*.<domain>"`, ['spec', 'hosts', i]]);
          }
        });
      }
      const addresses = Array.isArray(se.spec.addresses) ? se.spec.addresses : [];
      if (addresses.length === 0 && resolution === 'NONE') {
        const ports = Array.isArray(se.spec.ports) ? se.spec.ports : [];
        const i = ports.findIndex((p) => isRecord(p) && (p.protocol === undefined || p.protocol === null || p.protocol === '' || p.protocol === 'TCP'));
        if (i >= 0) {
          out.push(['addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled: ' +
            'with resolution NONE istiod allocates no address, so add spec.addresses (or use resolution DNS or STATIC)', ['spec', 'ports', i]]);
        }
      }
      if (resolution === 'NONE' && selector !== undefined && selector !== null) {
        out.push(['workloadSelector should not be set when resolution mode is NONE: remove it, or use resolution STATIC to route to the selected workloads', ['spec', 'workloadSelector']]);
      }
      for (const [message, path] of out) ctx.report(se, `${SCHEMA_WARNING} ${message}`, { path });
    }
  },
};

export default serviceEntryWarnings;
