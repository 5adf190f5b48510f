import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  DestinationRule,
  type DestinationRuleSpec,
  ServiceEntry,
  type ServiceEntrySpec,
  ServiceEntrySpecLocation as Location,
  ServiceEntrySpecResolution as Resolution,
  toJson_ServiceEntrySpec,
} from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import { checkOverrideKeys } from './_overrides.js';
import { checkDnsLabel, checkExportTo, checkHost, checkNonBlank, checkPort, oneOf } from './_validate.js';
import type { IRoutable } from './destination.js';
import { Duration } from './duration.js';
import { checkOverrides, HTTP_ROUTED, ISTIO_PROTOCOL, namePorts, type PortProtocol } from './mesh-service.js';
import { type PortTrafficPolicyOptions, type TrafficPolicyOptions, translateTrafficPolicy } from './traffic-policy.js';
import { checkPropKeys, type PropKeys } from './_prop-keys.js';

/** A port of the external host (ServiceEntry `ports[]`). */
export interface ExternalServicePort {
  /** Port number the application connects to. */
  readonly number: number;
  /** Application protocol. */
  readonly protocol: PortProtocol;
  /** Port name suffix, as for `MeshServicePort.name`. @default - the protocol alone, e.g. `https` */
  readonly name?: string;
  /** Port on the endpoint that receives the traffic (`targetPort`). @default - same as `number` */
  readonly targetPort?: number;
}

/** How the sidecar resolves the hosts' addresses (ServiceEntry `resolution`). */
export type ExternalResolution = 'DNS' | 'DNS_ROUND_ROBIN' | 'NONE';

/**
 * The application speaks plain HTTP on `port`; the sidecar sends it to `targetPort` over TLS
 * (Istio's "egress TLS origination": ServiceEntry port 80 with `targetPort: 443`, and a
 * DestinationRule port-level `tls.mode: SIMPLE`). The server certificate is always verified.
 */
export interface TlsOriginationOptions {
  /** Plain-HTTP port the application uses. @default 80 */
  readonly port?: number;
  /** TLS port of the external host. @default 443 */
  readonly targetPort?: number;
  /**
   * CA bundle path that verifies the server (`tls.caCertificates`). One of `caCertificates`,
   * `credentialName` or `systemCaCertificates: true` is required.
   * @default - none
   */
  readonly caCertificates?: string;
  /** Secret holding the CA (`tls.credentialName`). @default - none */
  readonly credentialName?: string;
  /**
   * Verify against the proxy's system trust store (istiod's VERIFY_CERTIFICATE_AT_CLIENT, on by
   * default in current Istio). Must be stated explicitly so an unverified origination cannot slip in.
   * @default false
   */
  readonly systemCaCertificates?: boolean;
  /** SNI to present. @default - the host */
  readonly sni?: string;
  /** Names the server certificate must carry (`tls.subjectAltNames`). @default - Istio's SAN check against the SNI */
  readonly subjectAltNames?: readonly string[];
}

/** Props for `ExternalService`. */
export interface ExternalServiceProps {
  /** Name of the ServiceEntry and DestinationRule(s) (DNS-1123 label). */
  readonly name: string;
  /** Namespace of every object. @default - the chart's namespace, else `default` */
  readonly namespace?: string;
  /** Hosts (DNS names, `*.example.com` wildcards allowed with resolution NONE); at least one. */
  readonly hosts: readonly string[];
  /** Ports. @default - `[{ number: 443, protocol: 'https' }]`, plus the TLS origination port when set */
  readonly ports?: readonly ExternalServicePort[];
  /** `MESH_EXTERNAL` or `MESH_INTERNAL` (ServiceEntry `location`). @default 'MESH_EXTERNAL' */
  readonly location?: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  /** @default 'DNS' */
  readonly resolution?: ExternalResolution;
  /**
   * Namespaces that see the ServiceEntry and DestinationRules (`exportTo`): `.`, `*` or namespace
   * names; not empty (Istio reads `[]` as every namespace).
   * @default ['.'] - this namespace only, so one team's egress does not open it for the whole mesh
   */
  readonly exportTo?: readonly string[];
  /** Originate TLS for plain-HTTP clients. @default - none */
  readonly tlsOrigination?: TlsOriginationOptions;
  /**
   * Traffic policy; each top-level part you set replaces that part of
   * `EXTERNAL_SERVICE_DEFAULT_TRAFFIC_POLICY`.
   * @default EXTERNAL_SERVICE_DEFAULT_TRAFFIC_POLICY
   */
  readonly trafficPolicy?: TrafficPolicyOptions;
  /** Escape hatch: merged over the ServiceEntry spec (shallow); unknown keys are refused (`MP_INVALID_PROP`). @default - none */
  readonly serviceEntryOverrides?: Partial<ServiceEntrySpec>;
  /** Escape hatch: merged over each DestinationRule spec (shallow); unknown keys are refused (`MP_INVALID_PROP`). @default - none */
  readonly destinationRuleOverrides?: Partial<DestinationRuleSpec>;
}

/**
 * Resilient defaults for hosts outside the mesh, which fail in ways we cannot fix: bounded
 * connections and queue, a 5 s connect timeout, and ejection after 5 gateway errors (502, 503, 504)
 * in a row. `consecutive5xxErrors: 0` is what makes the gateway-error count decide: left unset,
 * Envoy's own 5-in-a-row 5xx detector stays on and ejects first on any 5xx (gateway errors are 5xx),
 * so an API answering five 500s would be ejected and the gateway-error setting would never fire
 * (`resilience/outlier-gateway-errors-ineffective`).
 */
export const EXTERNAL_SERVICE_DEFAULT_TRAFFIC_POLICY: TrafficPolicyOptions = {
  connectionPool: {
    tcp: { maxConnections: 100, connectTimeout: Duration.seconds(5) },
    http: { http1MaxPendingRequests: 100 },
  },
  outlierDetection: {
    consecutive5xxErrors: 0,
    consecutiveGatewayErrors: 5,
    interval: Duration.seconds(10),
    baseEjectionTime: Duration.seconds(30),
  },
};

/** Every key of {@link ExternalServiceProps} (`checkPropKeys`). */
const PROP_KEYS: PropKeys<ExternalServiceProps> = { name: true, namespace: true, hosts: true, ports: true, location: true, resolution: true, exportTo: true, tlsOrigination: true, trafficPolicy: true, serviceEntryOverrides: true, destinationRuleOverrides: true };

/**
 * A host outside the mesh made known to it: a ServiceEntry (MESH_EXTERNAL, DNS resolution) and a
 * DestinationRule per host carrying resilient defaults and, optionally, TLS origination.
 * DestinationRules are named `<name>` for the first host and `<name>-<index>` for the others.
 */
export class ExternalService extends Construct implements IRoutable {
  /** The first host; the one routes reach through this object. */
  readonly host: string;
  /** All hosts, in the order given. */
  readonly hosts: readonly string[];
  /** Namespace of the ServiceEntry and DestinationRules. */
  readonly namespace: string;
  /** Always empty: external hosts have no subsets. */
  readonly subsetNames: readonly string[] = [];
  /** ServiceEntry port numbers, the TLS origination port included. */
  readonly portNumbers: readonly number[];
  /** Port numbers whose protocol is HTTP, HTTP2 or GRPC (the TLS origination port included), whose requests take http routes. */
  readonly httpPortNumbers: readonly number[];
  /** L1 escape hatch. */
  readonly serviceEntry: ServiceEntry;
  /** L1 escape hatches, one per host, in host order. */
  readonly destinationRules: readonly DestinationRule[];

  constructor(scope: Construct, id: string, props: ExternalServiceProps) {
    super(scope, id);
    checkPropKeys(this, props, PROP_KEYS);
    const name = checkDnsLabel(this, 'name', props.name);
    this.namespace = checkDnsLabel(this, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    const resolution = props.resolution ?? 'DNS';
    this.hosts = checkHosts(this, props.hosts, resolution);
    this.host = this.hosts[0]!;
    const origination = props.tlsOrigination && checkOrigination(this, props.tlsOrigination, this.hosts);
    const ports = externalPorts(this, props.ports ?? [{ number: 443, protocol: 'https' }], origination);
    this.portNumbers = ports.map((p) => p.number);
    this.httpPortNumbers = ports.filter((p) => HTTP_ROUTED_ISTIO.has(p.protocol)).map((p) => p.number);
    const exportTo = checkExportTo(this, 'exportTo', props.exportTo ?? ['.'], this.namespace)!;
    const location = oneOf(this, 'location', props.location ?? 'MESH_EXTERNAL', LOCATION);
    const metadata = (n: string) => ({ name: n, namespace: this.namespace });

    this.serviceEntry = new ServiceEntry(this, 'ServiceEntry', {
      metadata: metadata(name),
      spec: {
        hosts: [...this.hosts],
        location,
        resolution: RESOLUTION[resolution],
        ports,
        exportTo,
        ...checkServiceEntryOverrides(this, props.serviceEntryOverrides),
      },
    });

    this.destinationRules = this.hosts.map((host, i) => {
      const policy = hostPolicy(this, props.trafficPolicy, origination, host);
      return new DestinationRule(this, i === 0 ? 'DestinationRule' : `DestinationRule-${i}`, {
        metadata: metadata(i === 0 ? name : `${name}-${i}`),
        spec: {
          host,
          exportTo,
          trafficPolicy: translateTrafficPolicy(this, 'trafficPolicy', policy),
          ...checkOverrides(this, props.destinationRuleOverrides, 'destinationRuleOverrides'),
        },
      });
    });
  }

  /** The DestinationRule of the first host. */
  get destinationRule(): DestinationRule {
    return this.destinationRules[0]!;
  }
}

const LOCATION: Record<'MESH_EXTERNAL' | 'MESH_INTERNAL', Location> = {
  MESH_EXTERNAL: Location.MESH_UNDERSCORE_EXTERNAL,
  MESH_INTERNAL: Location.MESH_UNDERSCORE_INTERNAL,
};

const RESOLUTION: Record<ExternalResolution, Resolution> = {
  DNS: Resolution.DNS,
  DNS_ROUND_ROBIN: Resolution.DNS_UNDERSCORE_ROUND_UNDERSCORE_ROBIN,
  NONE: Resolution.NONE,
};

type Origination = Required<Pick<TlsOriginationOptions, 'port' | 'targetPort'>> & TlsOriginationOptions;

function checkHosts(scope: Construct, hosts: readonly string[], resolution: ExternalResolution): string[] {
  oneOf(scope, 'resolution', resolution, RESOLUTION);
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new PropError('MP_INVALID_HOST', scope, 'hosts', hosts, 'expected at least one host, e.g. ["api.example.com"]');
  }
  return hosts.map((h, i) => {
    checkHost(scope, `hosts[${i}]`, h);
    if (h.startsWith('*') && resolution !== 'NONE') {
      throw new PropError('MP_INVALID_HOST', scope, `hosts[${i}]`, h, `a wildcard host cannot be resolved with ${resolution}; use resolution NONE or a concrete host`);
    }
    return h;
  });
}

function checkOrigination(scope: Construct, o: TlsOriginationOptions, hosts: readonly string[]): Origination {
  if (o.caCertificates !== undefined) checkNonBlank(scope, 'tlsOrigination.caCertificates', o.caCertificates, 'the path of a CA bundle');
  if (o.credentialName !== undefined) checkNonBlank(scope, 'tlsOrigination.credentialName', o.credentialName, 'the name of a Secret holding the CA');
  if (o.sni !== undefined) checkHost(scope, 'tlsOrigination.sni', o.sni);
  const anchors = [o.caCertificates, o.credentialName, o.systemCaCertificates === true ? true : undefined].filter((x) => x !== undefined);
  if (anchors.length !== 1) {
    throw new PropError('MP_INVALID_PROP', scope, 'tlsOrigination.caCertificates', o.caCertificates,
      'expected exactly one of caCertificates, credentialName or systemCaCertificates: true, so the server certificate is verified');
  }
  hosts.forEach((h, i) => {
    if (h.startsWith('*')) {
      throw new PropError('MP_INVALID_HOST', scope, `hosts[${i}]`, h, 'TLS origination needs concrete hosts to present as SNI');
    }
  });
  const port = checkPort(scope, 'tlsOrigination.port', o.port ?? 80);
  const targetPort = checkPort(scope, 'tlsOrigination.targetPort', o.targetPort ?? 443);
  if (o.sni !== undefined && hosts.length > 1) {
    throw new PropError('MP_INVALID_PROP', scope, 'tlsOrigination.sni', o.sni, 'an explicit sni fits a single host; omit it to use each host as its own SNI');
  }
  return { ...o, port, targetPort };
}

/** Istio spelling of the protocols whose ports take http routes. */
const HTTP_ROUTED_ISTIO: ReadonlySet<string> = new Set([...HTTP_ROUTED].map((p) => ISTIO_PROTOCOL[p]));

function externalPorts(scope: Construct, given: readonly ExternalServicePort[], origination: Origination | undefined) {
  const ports = [...given];
  const at = origination ? ports.findIndex((p) => p.number === origination.port) : -1;
  if (origination && at < 0) {
    ports.unshift({ number: origination.port, protocol: 'http', targetPort: origination.targetPort });
  } else if (origination) {
    const p = ports[at]!;
    if (p.protocol !== 'http') {
      throw new PropError('MP_INVALID_PROP', scope, `ports[${at}].protocol`, p.protocol, 'the TLS origination port carries plain HTTP: expected "http"');
    }
    ports[at] = { ...p, targetPort: p.targetPort ?? origination.targetPort };
  }
  const named = namePorts(scope, ports, 'number');
  return ports.map((p, i) => ({
    number: named[i]!.number,
    name: named[i]!.name,
    protocol: ISTIO_PROTOCOL[p.protocol],
    targetPort: p.targetPort === undefined ? undefined : checkPort(scope, `ports[${i}].targetPort`, p.targetPort),
  }));
}

function hostPolicy(
  scope: Construct, user: TrafficPolicyOptions | undefined, origination: Origination | undefined, host: string,
): TrafficPolicyOptions {
  const policy = { ...EXTERNAL_SERVICE_DEFAULT_TRAFFIC_POLICY, ...user };
  if (!origination) return policy;
  const settings = policy.portLevelSettings ?? [];
  const at = settings.findIndex((p) => p.port === origination.port);
  if (at >= 0 && settings[at]!.tls !== undefined) {
    throw new PropError('MP_INVALID_PROP', scope, `trafficPolicy.portLevelSettings[${at}].tls`, settings[at]!.tls,
      'TLS on the origination port comes from tlsOrigination; remove it here');
  }
  const originate: PortTrafficPolicyOptions = {
    ...settings[at],
    port: origination.port,
    tls: {
      mode: 'SIMPLE',
      sni: origination.sni ?? host,
      caCertificates: origination.caCertificates,
      credentialName: origination.credentialName,
      subjectAltNames: origination.subjectAltNames,
    },
  };
  const others = settings.filter((p) => p.port !== origination.port);
  return { ...policy, portLevelSettings: [...others, originate] };
}

/** The ServiceEntry escape hatch may not empty `hosts` or `exportTo` nor hold keys the spec does not have. */
function checkServiceEntryOverrides(scope: Construct, o: Partial<ServiceEntrySpec> | undefined): Partial<ServiceEntrySpec> | undefined {
  if (o === undefined) return undefined;
  checkOverrideKeys(scope, 'serviceEntryOverrides', o, toJson_ServiceEntrySpec, 'ServiceEntry spec');
  if ('hosts' in o) {
    if (!Array.isArray(o.hosts) || o.hosts.length === 0) {
      throw new PropError('MP_INVALID_HOST', scope, 'serviceEntryOverrides.hosts', o.hosts, 'expected at least one host');
    }
    o.hosts.forEach((h, i) => checkHost(scope, `serviceEntryOverrides.hosts[${i}]`, h));
  }
  if ('exportTo' in o) checkExportTo(scope, 'serviceEntryOverrides.exportTo', o.exportTo);
  return o;
}
