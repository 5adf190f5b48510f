import { isRecord } from '../../../mesh/object.js';
import { isKubernetesDnsLabel } from '../../../validate/object-meta.js';
import type { Rule } from '../../rule.js';
/** apimachinery `IsValidPortName` (IANA_SVC_NAME): at most 15 of `[-a-z0-9]`, a letter among them, no `--`, no `-` at either end. */
const portNameError = (name: string): string | null => {
  if (name.length === 0 || name.length > 15) return 'must be 1 to 15 characters';
  if (!/^[-a-z0-9]+$/.test(name)) return 'must contain only lower-case letters, digits and "-"';
  if (!/[a-z]/.test(name)) return 'must contain at least one letter';
  if (name.includes('--')) return 'must not contain "--"';
  if (name.startsWith('-') || name.endsWith('-')) return 'must not begin or end with "-"';
  return null;
};
const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);
const validPort = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
/** A value as the YAML wrote it (`.inf`, `.nan` for the non-finite numbers JSON cannot show). */
const shown = (v: unknown): string => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf') : JSON.stringify(v ?? null));

/**
 * `schema/service-ports`: Service `spec.ports` the API server refuses (`ValidateService`), which
 * would fail the Argo CD sync while the rest of the gate is green.
 */
const servicePorts: Rule = {
  id: 'schema/service-ports',
  severity: 'error',
  summary: 'A Service port the API server refuses: a name that is not a lower-case DNS label, missing or repeated names when there are several ports, a port or targetPort out of range, an unknown protocol, or a repeated port and protocol.',
  docs: [
    'The API server validates every Service (apimachinery `ValidateService` / `validateServicePort`) and refuses the',
    'whole object on apply, so Argo CD\'s sync fails: a port `name` must be a DNS-1123 label (lower-case letters, digits',
    'and `-`, at most 63: `HTTP` is refused); with more than one port every port needs a name, and names must be unique;',
    '`port` must be 1-65535; `protocol` TCP, UDP or SCTP; a numeric `targetPort` 1-65535 and a named one an IANA service',
    'name (at most 15 lower-case letters, digits and `-`, at least one letter, no `--`, no `-` at either end); a port',
    'and protocol pair may appear once. Fix the field the finding points at.',
  ].join(' '),
  kinds: ['Service'],
  check(graph, ctx) {
    for (const svc of graph.ofKind('Service')) {
      if (!Array.isArray(svc.spec.ports)) continue;
      const ports = svc.spec.ports;
      const names = new Map<string, number>();
      const pairs = new Map<string, number>();
      ports.forEach((p, i) => {
        if (!isRecord(p)) return;
        const at = (field: string): { path: (string | number)[] } => ({ path: ['spec', 'ports', i, field] });
        const name = p.name;
        if (name === undefined || name === '') {
          if (ports.length > 1) ctx.report(svc, `spec.ports[${i}].name is required when a Service has more than one port; name it (e.g. "http-${String(p.port ?? i)}")`, at('port'));
        } else if (typeof name !== 'string' || !isKubernetesDnsLabel(name)) {
          ctx.report(svc, `spec.ports[${i}].name ${JSON.stringify(name)} must be a DNS-1123 label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63)${typeof name === 'string' && isKubernetesDnsLabel(name.toLowerCase()) ? `; write "${name.toLowerCase()}"` : ''}`, at('name'));
        } else if (names.has(name)) {
          ctx.report(svc, `spec.ports[${i}].name "${name}" repeats spec.ports[${names.get(name)}].name; port names must be unique`, at('name'));
        } else {
          names.set(name, i);
        }
        if (!validPort(p.port)) ctx.report(svc, `spec.ports[${i}].port ${shown(p.port)} must be an integer from 1 to 65535`, at('port'));
        const protocol = p.protocol ?? 'TCP';
        if (typeof protocol !== 'string' || !PROTOCOLS.has(protocol)) ctx.report(svc, `spec.ports[${i}].protocol ${shown(protocol)} must be TCP, UDP or SCTP (upper case)`, at('protocol'));
        const target = p.targetPort;
        if (typeof target === 'number' && !(target === 0 || validPort(target))) ctx.report(svc, `spec.ports[${i}].targetPort ${shown(target)} must be an integer from 1 to 65535`, at('targetPort'));
        if (typeof target === 'string') {
          const why = portNameError(target);
          if (why) ctx.report(svc, `spec.ports[${i}].targetPort "${target}" is not a container port name: it ${why} (an IANA service name)`, at('targetPort'));
        }
        if (validPort(p.port)) {
          const key = `${String(p.port)}/${String(protocol)}`;
          const first = pairs.get(key);
          if (first !== undefined) ctx.report(svc, `spec.ports[${i}] repeats port ${String(p.port)}/${String(protocol)} of spec.ports[${first}]; each port and protocol may appear once`, at('port'));
          else pairs.set(key, i);
        }
      });
    }
  },
};

export default servicePorts;
