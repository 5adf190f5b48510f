/**
 * The MeshNetworks istiod runs with, from the input: the `meshNetworks` key of the `istio`
 * ConfigMap that carries the MeshConfig, read as `istioctl analyze` reads it from a cluster
 * (`local.addRunningKubeIstioConfigMapSource` → `mesh.ParseMeshNetworks`): YAML decoded into the
 * `MeshNetworks` proto (unknown fields dropped, a wrong type failing the whole text), then
 * `agent.ValidateMeshNetworks`. Istio's defaults (no networks) apply when it fails.
 */
import { isIP } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { meshConfigInInput } from './mesh-config-in-input.js';
import { isRecord, type MeshObject } from './object.js';

/** One `networks.<name>.endpoints[i]` entry. */
export interface NetworkEndpoint {
  readonly network: string;
  readonly index: number;
  readonly fromRegistry?: string;
  readonly fromCidr?: string;
}

/** The meshNetworks of the input, or why istiod refuses it. */
export interface InputMeshNetworks {
  /** The ConfigMap it came from. */
  readonly from: MeshObject;
  readonly endpoints: readonly NetworkEndpoint[];
  /** Why ParseMeshNetworks fails (istiod then runs with no networks), or undefined. */
  readonly problem?: string;
}

/**
 * The meshNetworks in the `istio` ConfigMap whose `data.mesh` the graph applies (root namespace or
 * istio-system), or null when there is no such ConfigMap or it has no `data.meshNetworks` string.
 */
export function meshNetworksInInput(objects: readonly MeshObject[], rootNamespace: string): InputMeshNetworks | null {
  const from = meshConfigInInput(objects, rootNamespace)?.from;
  const text = isRecord(from?.body.data) ? from.body.data.meshNetworks : undefined;
  if (!from || typeof text !== 'string') return null;
  const [doc] = parseAllDocuments(text, { version: '1.1', prettyErrors: false });
  if (doc && doc.errors.length > 0) return { from, endpoints: [], problem: `not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}` };
  const value: unknown = doc?.toJS({ maxAliasCount: 100 }) ?? null;
  const read = readNetworks(value);
  return typeof read === 'string' ? { from, endpoints: [], problem: read } : { from, ...read };
}

/** `obj[json]` or `obj[proto_name]` as jsonpb reads a field (null is unset). */
function get(obj: Record<string, unknown>, json: string): unknown {
  const snake = json.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const v = obj[json] ?? obj[snake];
  return v === null ? undefined : v;
}

function readNetworks(value: unknown): { endpoints: NetworkEndpoint[]; problem?: string } | string {
  if (value === null || value === undefined) return { endpoints: [] };
  if (!isRecord(value)) return 'meshNetworks must be a mapping';
  const networks = get(value, 'networks');
  if (networks === undefined) return { endpoints: [] };
  if (!isRecord(networks)) return 'networks must be a mapping of network names';
  const endpoints: NetworkEndpoint[] = [];
  const invalid: string[] = [];
  for (const [network, n] of Object.entries(networks)) {
    if (n === null) continue;
    if (!isRecord(n)) return `networks.${network} must be a mapping`;
    const eps = get(n, 'endpoints') ?? [];
    const gws = get(n, 'gateways') ?? [];
    if (!Array.isArray(eps) || !Array.isArray(gws)) return `networks.${network}: endpoints and gateways must be lists`;
    for (const [index, e] of eps.entries()) {
      if (!isRecord(e)) return `networks.${network}.endpoints[${index}] must be a mapping`;
      const [fromRegistry, fromCidr] = [get(e, 'fromRegistry'), get(e, 'fromCidr')];
      if ((fromRegistry !== undefined && typeof fromRegistry !== 'string') || (fromCidr !== undefined && typeof fromCidr !== 'string')) return `networks.${network}.endpoints[${index}]: fromRegistry and fromCidr are strings`;
      if (fromRegistry !== undefined && fromCidr !== undefined) return `networks.${network}.endpoints[${index}] sets both fromRegistry and fromCidr (a oneof)`;
      if (fromRegistry !== undefined && !DNS1123_LABEL.test(fromRegistry)) invalid.push(`invalid registry name: ${fromRegistry}`);
      if (fromCidr !== undefined && !validSubnet(fromCidr)) invalid.push(`${fromCidr} is not a valid CIDR block`);
      endpoints.push({ network, index, ...(fromRegistry !== undefined ? { fromRegistry } : {}), ...(fromCidr !== undefined ? { fromCidr } : {}) });
    }
    for (const [index, g] of gws.entries()) {
      if (!isRecord(g)) return `networks.${network}.gateways[${index}] must be a mapping`;
      const [service, address, port] = [get(g, 'registryServiceName'), get(g, 'address'), get(g, 'port') ?? 0];
      if ((service !== undefined && typeof service !== 'string') || (address !== undefined && typeof address !== 'string')) return `networks.${network}.gateways[${index}]: registryServiceName and address are strings`;
      if (service !== undefined && address !== undefined) return `networks.${network}.gateways[${index}] sets both registryServiceName and address (a oneof)`;
      const portNumber = typeof port === 'string' && /^[0-9]+$/.test(port) ? Number(port) : port;
      if (typeof portNumber !== 'number' || !Number.isInteger(portNumber) || portNumber < 0 || portNumber > 2 ** 32 - 1) return `networks.${network}.gateways[${index}].port must be an unsigned 32-bit integer`;
      if (service !== undefined && !validFqdn(service)) invalid.push(`domain name "${service}" invalid`);
      if (address !== undefined && isIP(address) === 0 && !validFqdn(address)) invalid.push(`${address} is not a valid IP address or DNS name`);
      if (portNumber < 1 || portNumber > 65535) invalid.push(`port number ${portNumber} must be in the range 1..65535`);
    }
  }
  return invalid.length > 0 ? { endpoints, problem: invalid.join('; ') } : { endpoints };
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `agent.ValidateFQDN`: at most 255 characters, DNS-1123 labels (a trailing dot allowed), a top-level label not all digits. */
function validFqdn(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  const parts = name.split('.');
  if (/^[+-]?[0-9]+$/.test(parts.at(-1)!)) return false;
  return parts.every((l, i) => (i === parts.length - 1 && l === '') || DNS1123_LABEL.test(l));
}

/** `agent.ValidateIPSubnet`: an IP, or (with exactly one `/`) a CIDR prefix. */
function validSubnet(subnet: string): boolean {
  const parts = subnet.split('/');
  if (parts.length !== 2) return isIP(subnet) !== 0;
  const family = isIP(parts[0]!);
  return family !== 0 && /^[0-9]{1,3}$/.test(parts[1]!) && Number(parts[1]) <= (family === 4 ? 32 : 128);
}
