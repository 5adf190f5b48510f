import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { ServiceInfo } from '../../../mesh/graph.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** One `portLevelSettings` entry that names a port by number. */
interface PortSetting {
  readonly port: number;
  readonly path: FieldPath;
  /** `top-level trafficPolicy` or `subset "v2"`. */
  readonly where: string;
}

/** Every `portLevelSettings[].port.number` of a DestinationRule: the top-level policy's and each subset's. */
function portSettingsOf(dr: MeshObject): PortSetting[] {
  const out: PortSetting[] = [];
  const collect = (policy: unknown, base: FieldPath, where: string) => {
    const settings = isRecord(policy) && Array.isArray(policy.portLevelSettings) ? policy.portLevelSettings : [];
    settings.forEach((s, i) => {
      const number = isRecord(s) && isRecord(s.port) ? s.port.number : undefined;
      if (typeof number === 'number' && Number.isInteger(number)) out.push({ port: number, path: [...base, 'portLevelSettings', i, 'port', 'number'], where });
    });
  };
  collect(dr.spec.trafficPolicy, ['spec', 'trafficPolicy'], 'the top-level trafficPolicy');
  (Array.isArray(dr.spec.subsets) ? dr.spec.subsets : []).forEach((subset, i) => {
    if (isRecord(subset)) collect(subset.trafficPolicy, ['spec', 'subsets', i, 'trafficPolicy'], `subset "${String(subset.name)}"`);
  });
  return out;
}

/** `80 (http)`, the way messages list a service's ports. */
function describePorts(services: readonly ServiceInfo[]): string {
  const seen = new Map<number, string>();
  for (const p of services.flatMap((s) => s.ports)) if (!seen.has(p.number)) seen.set(p.number, p.name ? `${p.number} (${p.name})` : `${p.number}`);
  return [...seen.keys()].sort((a, b) => a - b).map((n) => seen.get(n)!).join(', ');
}

/**
 * `references/port-level-settings-port-not-found`: a DestinationRule `portLevelSettings` entry for a port the
 * host's service does not expose, so it configures nothing.
 */
const portLevelSettingsPortNotFound: Rule = {
  id: 'references/port-level-settings-port-not-found',
  severity: 'warning',
  summary: 'A DestinationRule `portLevelSettings` entry names a port the host\'s Service or ServiceEntry does not expose, so it applies to nothing.',
  docs: [
    'istiod applies a `portLevelSettings` entry to the outbound cluster of the service port with that number',
    '(cluster_builder.go selectTrafficPolicyComponents compares it with the cluster\'s service port). A number the',
    'service does not expose matches no cluster: its TLS mode, connection pool, load balancer or outlier detection',
    'silently never apply, and the top-level policy (or auto mTLS) governs instead. The usual slip is the container',
    'port: PeerAuthentication `portLevelMtls` and AuthorizationPolicy ports are container (target) ports, but',
    'DestinationRule ports are Service ports (Service port 80 with targetPort 8080 is configured as 80). Checked for',
    'hosts naming one service (no wildcard) whose ports the input declares. Fix: use the service port, as the',
    'message suggests when the number is a targetPort.',
  ].join(' '),
  kinds: ['DestinationRule', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const dr of graph.ofKind('DestinationRule')) {
      const host = dr.spec.host;
      if (typeof host !== 'string' || host.includes('*')) continue;
      const settings = portSettingsOf(dr);
      if (settings.length === 0) continue;
      const services = graph.servicesForHost(host, dr.namespace);
      if (services.length === 0 || services.some((s) => s.ports.length === 0)) continue;
      for (const { port, path, where } of settings) {
        if (services.some((s) => s.ports.some((p) => p.number === port))) continue;
        const targeting = services.flatMap((s) => s.ports.filter((p) => p.targetPort === port).map((p) => ({ s, p })))[0];
        const hint = targeting
          ? `; ${port} is the targetPort of ${targeting.s.kind} ${targeting.s.namespace}/${targeting.s.object.name} port ${targeting.p.number}: DestinationRule ports are service ports, write ${targeting.p.number}`
          : '; DestinationRule ports are service ports: use one of them';
        ctx.report(dr, `portLevelSettings of ${where} names port ${port}, which ${services.length === 1 ? `${services[0]!.kind} ${services[0]!.namespace}/${services[0]!.object.name} does` : `no service of host "${host}" does`} not expose ` +
          `(ports: ${describePorts(services)}), so it applies to no cluster and its settings never take effect${hint}`, { path });
      }
    }
  },
};

export default portLevelSettingsPortNotFound;
