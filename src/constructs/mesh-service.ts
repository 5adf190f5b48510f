import { Chart } from 'cdk8s';
import { meshSettingsOf, type MeshSettings } from './mesh-namespace.js';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DestinationRule, type DestinationRuleSpec, type DestinationRuleSpecSubsets, toJson_DestinationRuleSpec } from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import { checkOverrideKeys } from './_overrides.js';
import { checkDns1035Label, checkDnsLabel, checkEnvName, checkExportTo, checkHost, checkImage, checkInt32, checkPort, oneOf, recordEntries } from './_validate.js';
import type { IRoutable } from './destination.js';
import { removeConstructPathLabel } from './pod-labels.js';
import { asSubsetTrafficPolicy, type TrafficPolicyOptions, translateTrafficPolicy } from './traffic-policy.js';
import { checkPropKeys, type PropKeys } from './_prop-keys.js';

/**
 * Application protocol of a port. Istio selects the protocol from the Service port name
 * (`<protocol>[-<suffix>]`), so this becomes the name's prefix.
 */
export type PortProtocol = 'http' | 'http2' | 'grpc' | 'tcp' | 'https' | 'tls';

/** Istio spelling of each protocol (ServiceEntry `ports[].protocol`). */
export const ISTIO_PROTOCOL: Record<PortProtocol, string> = {
  http: 'HTTP', http2: 'HTTP2', grpc: 'GRPC', tcp: 'TCP', https: 'HTTPS', tls: 'TLS',
};

/** Protocols whose ports take http routes (the others take `tls` or `tcp` routes). */
export const HTTP_ROUTED: ReadonlySet<PortProtocol> = new Set(['http', 'http2', 'grpc']);

/** A port the service serves. */
export interface MeshServicePort {
  /** Port number on the Service (and the default container port). */
  readonly port: number;
  /** Application protocol, used as the port name prefix. */
  readonly protocol: PortProtocol;
  /**
   * Port name suffix: `{ protocol: 'http', name: 'web' }` names the port `http-web`.
   * @default - the port is named after the protocol alone, e.g. `http`
   */
  readonly name?: string;
  /**
   * Container port the Service forwards to.
   * @default - same as `port`
   */
  readonly targetPort?: number;
}

/** One version of the service: a Deployment `<service>-<version>` and a DestinationRule subset `<version>`. */
export interface MeshServiceVersion {
  /** Version name (DNS-1123 label): the `version` pod label and the subset name, e.g. `v1`. */
  readonly name: string;
  /** Container image reference, e.g. `registry.example/cart:1.4.0`; not blank, no whitespace. */
  readonly image: string;
  /** Pod count, 0 to 2^31-1 (`replicas`, an int32). @default 1 */
  readonly replicas?: number;
  /** Environment variables of the container; names are letters, digits, `_`, `-`, `.` (no `=`), not starting with a digit. @default - none */
  readonly env?: Readonly<Record<string, string>>;
  /** Container entrypoint. @default - the image's */
  readonly command?: readonly string[];
  /** Container arguments. @default - the image's */
  readonly args?: readonly string[];
  /** CPU and memory. @default - cdk8s-plus defaults (requests 1000m/512Mi, limits 1500m/2048Mi) */
  readonly resources?: kplus.ContainerResources;
  /**
   * Container security context.
   * @default - cdk8s-plus secure defaults: non-root, read-only root filesystem, no privilege escalation
   */
  readonly securityContext?: kplus.ContainerSecurityContextProps;
  /** Subset-level traffic policy; applies only when a route names this subset. @default - none */
  readonly trafficPolicy?: TrafficPolicyOptions;
}

/** Props for `MeshService`. */
export interface MeshServiceProps {
  /** Service name (a DNS-1035 label, as Kubernetes requires of Services: starts with a letter): the Service, DestinationRule, `app` label and Deployment prefix. */
  readonly name: string;
  /** Namespace of every object. @default - the chart's namespace, else `default` */
  readonly namespace?: string;
  /** Ports the service serves; at least one. */
  readonly ports: readonly MeshServicePort[];
  /** Versions running side by side; at least one. */
  readonly versions: readonly MeshServiceVersion[];
  /**
   * Name of an existing ServiceAccount the pods run as.
   * @default - a ServiceAccount named after the service is created, so each service has its own
   * mesh identity (`cluster.local/ns/<ns>/sa/<name>`) for AuthorizationPolicies to name
   */
  readonly serviceAccount?: string;
  /** Pod security context. @default - cdk8s-plus secure defaults (runAsNonRoot) */
  readonly podSecurityContext?: kplus.PodSecurityContextProps;
  /** Service-level traffic policy (DestinationRule `spec.trafficPolicy`). @default - none */
  readonly trafficPolicy?: TrafficPolicyOptions;
  /**
   * Escape hatch: fields merged over the generated DestinationRule spec (shallow). A key the spec
   * does not have, at any depth, is refused (`MP_INVALID_PROP`).
   * @default - none
   */
  readonly overrides?: Partial<DestinationRuleSpec>;
}

/** Every key of {@link MeshServiceProps} (`checkPropKeys`). */
const PROP_KEYS: PropKeys<MeshServiceProps> = { name: true, namespace: true, ports: true, versions: true, serviceAccount: true, podSecurityContext: true, trafficPolicy: true, overrides: true };

/**
 * A service in the mesh: one Deployment per version (`app`/`version` labels), a Service selecting
 * all versions, a ServiceAccount, and a DestinationRule with one subset per version. Every object
 * has an explicit name, so hosts and subsets never depend on construct paths.
 */
export class MeshService extends Construct implements IRoutable {
  /** `<name>.<namespace>.svc.<clusterDomain>` (`meshSettingsOf`: construct context, default `cluster.local`). */
  readonly host: string;
  /** Cluster and trust domain in force (construct context `meshproof:clusterDomain` / `meshproof:trustDomain`). */
  private readonly settings: MeshSettings;
  /** Namespace of every object this construct makes. */
  readonly namespace: string;
  /** Subset names, one per version, in the order given. */
  readonly subsetNames: readonly string[];
  /** Service port numbers, in the order given. */
  readonly portNumbers: readonly number[];
  /** Port numbers declared `http`, `http2` or `grpc`, whose requests take http routes. */
  readonly httpPortNumbers: readonly number[];
  /** The service name. */
  readonly name: string;
  /** ServiceAccount the pods run as. */
  readonly serviceAccountName: string;
  /** L1 escape hatch: the generated DestinationRule. */
  readonly destinationRule: DestinationRule;
  /** The Service `<name>` selecting `app: <name>`. */
  readonly service: kplus.Service;
  /** Deployments by version name. */
  readonly deployments: Readonly<Record<string, kplus.Deployment>>;

  constructor(scope: Construct, id: string, props: MeshServiceProps) {
    super(scope, id);
    checkPropKeys(this, props, PROP_KEYS);
    this.name = checkDns1035Label(this, 'name', props.name);
    this.namespace = checkDnsLabel(this, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    this.settings = meshSettingsOf(this);
    this.host = `${this.name}.${this.namespace}.svc.${this.settings.clusterDomain}`;
    const ports = checkPorts(this, props.ports);
    const versions = checkVersions(this, props.versions);
    this.portNumbers = ports.map((p) => p.port);
    this.httpPortNumbers = props.ports.filter((p) => HTTP_ROUTED.has(p.protocol)).map((p) => p.port);
    this.subsetNames = versions.map((v) => v.name);

    const metadata = (name: string) => ({ name, namespace: this.namespace });
    this.serviceAccountName = props.serviceAccount ?? this.name;
    const serviceAccount = props.serviceAccount === undefined
      ? new kplus.ServiceAccount(this, 'ServiceAccount', { metadata: metadata(this.name), automountToken: false })
      : kplus.ServiceAccount.fromServiceAccountName(this, 'ServiceAccount', checkDnsLabel(this, 'serviceAccount', props.serviceAccount));

    this.service = new kplus.Service(this, 'Service', {
      metadata: metadata(this.name),
      ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort })),
    });
    this.service.selectLabel('app', this.name);

    const deployments: Record<string, kplus.Deployment> = {};
    for (const v of versions) {
      const labels = { app: this.name, version: v.name };
      const deployment = new kplus.Deployment(this, `Deployment-${v.name}`, {
        metadata: { ...metadata(`${this.name}-${v.name}`), labels },
        replicas: v.replicas ?? 1,
        select: false,
        podMetadata: { labels },
        serviceAccount,
        securityContext: props.podSecurityContext,
        containers: [{
          name: this.name,
          image: v.image,
          ports: [...new Set(ports.map((p) => p.targetPort))].map((number) => ({ number })),
          envVariables: envVariables(this, `versions[${versions.indexOf(v)}].env`, v.env),
          command: v.command && [...v.command],
          args: v.args && [...v.args],
          resources: v.resources,
          securityContext: v.securityContext,
        }],
      });
      deployment.select(kplus.LabelSelector.of({ labels }));
      removeConstructPathLabel(deployment);
      deployments[v.name] = deployment;
    }
    this.deployments = deployments;

    const subsets: DestinationRuleSpecSubsets[] = versions.map((v, i) => ({
      name: v.name,
      labels: { version: v.name },
      trafficPolicy: v.trafficPolicy && asSubsetTrafficPolicy(translateTrafficPolicy(this, `versions[${i}].trafficPolicy`, v.trafficPolicy)),
    }));
    this.destinationRule = new DestinationRule(this, 'DestinationRule', {
      metadata: metadata(this.name),
      spec: {
        host: this.host,
        trafficPolicy: props.trafficPolicy && translateTrafficPolicy(this, 'trafficPolicy', props.trafficPolicy),
        subsets,
        ...checkOverrides(this, props.overrides),
      },
    });
  }

  /** The Istio identity of the pods, for AuthorizationPolicy `principals`: `<trustDomain>/ns/<ns>/sa/<sa>`. */
  get principal(): string {
    return `${this.settings.trustDomain}/ns/${this.namespace}/sa/${this.serviceAccountName}`;
  }

  /** Labels that select every pod of the service (for workload selectors). */
  get selectorLabels(): Record<string, string> {
    return { app: this.name };
  }
}

interface CheckedPort { readonly port: number; readonly name: string; readonly targetPort: number }

/** Validates ports and names them `<protocol>[-<suffix>]`. @internal */
export function checkPorts(scope: Construct, ports: readonly MeshServicePort[]): CheckedPort[] {
  if (!Array.isArray(ports) || ports.length === 0) {
    throw new PropError('MP_INVALID_PORT', scope, 'ports', ports, 'expected at least one port');
  }
  const named = namePorts(scope, ports.map((p) => ({ number: p.port, protocol: p.protocol, name: p.name })), 'port');
  return ports.map((p, i) => ({
    port: named[i]!.number,
    name: named[i]!.name,
    targetPort: checkPort(scope, `ports[${i}].targetPort`, p.targetPort ?? p.port),
  }));
}

/**
 * Checks port numbers (the prop `numberField` of each entry, for error fields) and names the ports
 * `<protocol>[-<suffix>]`, each number and each name used once. Shared by MeshService and
 * ExternalService. @internal
 */
export function namePorts(
  scope: Construct,
  ports: readonly { readonly number: number; readonly protocol: PortProtocol; readonly name?: string }[],
  numberField: string,
): { readonly number: number; readonly name: string }[] {
  const names = new Set<string>();
  const numbers = new Set<number>();
  return ports.map((p, i) => {
    const number = checkPort(scope, `ports[${i}].${numberField}`, p.number);
    const name = portName(scope, `ports[${i}]`, p.protocol, p.name);
    if (numbers.has(number)) throw new PropError('MP_INVALID_PORT', scope, `ports[${i}].${numberField}`, number, 'expected each port number once');
    if (names.has(name)) {
      throw new PropError('MP_INVALID_NAME', scope, `ports[${i}].name`, p.name, `expected unique port names; "${name}" is used twice (give a suffix)`);
    }
    numbers.add(number);
    names.add(name);
    return { number, name };
  });
}

/** `<protocol>` or `<protocol>-<suffix>`, checked as a DNS-1123 label. @internal */
export function portName(scope: Construct, field: string, protocol: PortProtocol, suffix?: string): string {
  oneOf(scope, `${field}.protocol`, protocol, ISTIO_PROTOCOL);
  if (suffix === undefined) return protocol;
  checkDnsLabel(scope, `${field}.name`, suffix);
  return checkDnsLabel(scope, `${field}.name`, `${protocol}-${suffix}`);
}

function checkVersions(scope: Construct, versions: readonly MeshServiceVersion[]): readonly MeshServiceVersion[] {
  if (!Array.isArray(versions) || versions.length === 0) {
    throw new PropError('MP_MISSING_VERSION', scope, 'versions', versions, 'expected at least one version, e.g. [{ name: "v1", image: "..." }]');
  }
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    checkDnsLabel(scope, `versions[${i}].name`, v.name);
    if (seen.has(v.name)) throw new PropError('MP_INVALID_NAME', scope, `versions[${i}].name`, v.name, 'expected unique version names');
    seen.add(v.name);
    checkImage(scope, `versions[${i}].image`, v.image);
    if (v.replicas !== undefined) checkInt32(scope, `versions[${i}].replicas`, v.replicas);
  });
  return versions;
}

function envVariables(scope: Construct, field: string, env: Readonly<Record<string, string>> | undefined): Record<string, kplus.EnvValue> {
  const out: Record<string, kplus.EnvValue> = {};
  for (const [name, value] of recordEntries(scope, field, env ?? {})) {
    checkEnvName(scope, `${field}.${name}`, name);
    if (typeof value !== 'string') throw new PropError('MP_INVALID_ENV', scope, `${field}.${name}`, value, 'expected a string value');
    out[name] = kplus.EnvValue.fromValue(value);
  }
  return out;
}

/**
 * The DestinationRule escape hatch may not blank out what Istio requires (`host`, or an `exportTo`
 * of `[]`) nor hold keys the spec does not have (they would be dropped). @internal
 */
export function checkOverrides(scope: Construct, overrides: Partial<DestinationRuleSpec> | undefined, field = 'overrides'): Partial<DestinationRuleSpec> | undefined {
  if (overrides === undefined) return undefined;
  checkOverrideKeys(scope, field, overrides, toJson_DestinationRuleSpec, 'DestinationRule spec');
  if ('host' in overrides) checkHost(scope, `${field}.host`, overrides.host as string);
  if ('exportTo' in overrides) checkExportTo(scope, `${field}.exportTo`, overrides.exportTo);
  return overrides;
}
