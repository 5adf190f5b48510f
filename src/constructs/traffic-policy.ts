import type { IConstruct } from 'constructs';
import {
  type DestinationRuleSpecSubsetsTrafficPolicy,
  type DestinationRuleSpecTrafficPolicy,
  type DestinationRuleSpecTrafficPolicyPortLevelSettings,
  type DestinationRuleSpecTrafficPolicyTls,
  DestinationRuleSpecTrafficPolicyTlsMode as Mode,
} from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import { checkHost, checkNonBlank, checkPort, oneOf } from './_validate.js';
import { type ConnectionPoolOptions, prune, translateConnectionPool } from './connection-pool.js';
import { type LoadBalancerOptions, translateLoadBalancer } from './load-balancer.js';
import { type OutlierDetectionOptions, translateOutlierDetection } from './outlier-detection.js';

export type { ConnectionPoolOptions, HttpConnectionPoolOptions, TcpConnectionPoolOptions } from './connection-pool.js';
export type { ConsistentHashOptions, HashCookie, LoadBalancerOptions, SimpleLoadBalancer } from './load-balancer.js';
export type { OutlierDetectionOptions } from './outlier-detection.js';
export { translateConnectionPool } from './connection-pool.js';
export { translateLoadBalancer } from './load-balancer.js';
export { translateOutlierDetection } from './outlier-detection.js';

/** TLS towards the upstream (Istio `ClientTLSSettings.TLSmode`). */
export type ClientTlsMode = 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';

const MODES: Record<ClientTlsMode, Mode> = {
  DISABLE: Mode.DISABLE,
  SIMPLE: Mode.SIMPLE,
  MUTUAL: Mode.MUTUAL,
  ISTIO_MUTUAL: Mode.ISTIO_UNDERSCORE_MUTUAL,
};

/**
 * TLS settings for connections to the upstream (Istio `ClientTLSSettings`). `insecureSkipVerify`
 * is deliberately absent: use the DestinationRule escape hatch if you must.
 */
export interface ClientTlsOptions {
  /** Whether and how to secure the connection. */
  readonly mode: ClientTlsMode;
  /**
   * Path of the CA bundle that verifies the server certificate (`caCertificates`).
   * @default - the proxy's system trust store (when istiod verifies at the client, the default)
   */
  readonly caCertificates?: string;
  /**
   * Kubernetes Secret holding client certificate, key and CA (`credentialName`). MUTUAL needs this
   * or `clientCertificate` + `privateKey`.
   * @default - none
   */
  readonly credentialName?: string;
  /** Path of the client certificate for MUTUAL (`clientCertificate`). @default - none */
  readonly clientCertificate?: string;
  /** Path of the client private key for MUTUAL (`privateKey`). @default - none */
  readonly privateKey?: string;
  /** SNI presented in the handshake (`sni`). @default - Istio's auto-SNI from the request's Host */
  readonly sni?: string;
  /** Names the server certificate must carry (`subjectAltNames`). @default - none */
  readonly subjectAltNames?: readonly string[];
}

/**
 * Settings that apply to one port only; each part set here replaces the destination-level part for
 * that port. istiod replaces all four parts of a port that has an entry (`model.MergeTrafficPolicy`
 * with port-level settings: a part the entry leaves out is Envoy's default there, not inherited), so
 * the destination-level parts this entry leaves out are written into it, and apply on the port as
 * documented below.
 */
export interface PortTrafficPolicyOptions {
  /** Port number on the destination (`portLevelSettings[].port.number`). */
  readonly port: number;
  /** @default - the destination-level connection pool */
  readonly connectionPool?: ConnectionPoolOptions;
  /** @default - the destination-level outlier detection */
  readonly outlierDetection?: OutlierDetectionOptions;
  /** @default - the destination-level load balancer */
  readonly loadBalancer?: LoadBalancerOptions;
  /** @default - the destination-level TLS settings */
  readonly tls?: ClientTlsOptions;
}

/**
 * A DestinationRule traffic policy (Istio `TrafficPolicy`), service-level or per subset. Subset
 * policies apply only when a route names the subset explicitly.
 */
export interface TrafficPolicyOptions {
  /** Circuit-breaker limits. @default - Istio's defaults (2^32-1) */
  readonly connectionPool?: ConnectionPoolOptions;
  /** Ejection of failing hosts. @default - off */
  readonly outlierDetection?: OutlierDetectionOptions;
  /** Load-balancing algorithm. @default - Istio's default, LEAST_REQUEST */
  readonly loadBalancer?: LoadBalancerOptions;
  /** TLS towards the upstream. @default - Istio auto mTLS inside the mesh */
  readonly tls?: ClientTlsOptions;
  /** Per-port overrides, one entry per port. @default - none */
  readonly portLevelSettings?: readonly PortTrafficPolicyOptions[];
}

/**
 * Maps `TrafficPolicyOptions` to Istio's `trafficPolicy`. Pure: validates and translates, naming
 * `scope` and `field` (e.g. `versions[1].trafficPolicy`) in any `PropError`.
 */
export function translateTrafficPolicy(
  scope: IConstruct, field: string, options: TrafficPolicyOptions,
): DestinationRuleSpecTrafficPolicy {
  const destination = translateParts(scope, field, options);
  const ports = options.portLevelSettings ?? [];
  const seen = new Set<number>();
  const portLevelSettings = ports.map((p, i) => {
    const f = `${field}.portLevelSettings[${i}]`;
    checkPort(scope, `${f}.port`, p.port);
    if (seen.has(p.port)) {
      throw new PropError('MP_INVALID_PORT', scope, `${f}.port`, p.port, 'expected each port at most once in portLevelSettings');
    }
    seen.add(p.port);
    return translatePortLevel(scope, f, p, destination);
  });
  return prune({
    ...destination,
    portLevelSettings: portLevelSettings.length > 0 ? portLevelSettings : undefined,
  });
}

/** Maps `ClientTlsOptions` to Istio's `tls`, refusing combinations Istio would reject or ignore. */
export function translateClientTls(scope: IConstruct, field: string, o: ClientTlsOptions): DestinationRuleSpecTrafficPolicyTls {
  const mode = oneOf(scope, `${field}.mode`, o.mode, MODES);
  // A blank path or name reads as "verify against this" but verifies against nothing.
  const blank: [keyof ClientTlsOptions, string][] = [
    ['caCertificates', 'the path of a CA bundle (omit it to use the system trust store)'],
    ['credentialName', 'the name of a Secret'], ['clientCertificate', 'the path of a client certificate'], ['privateKey', 'the path of a private key'],
  ];
  for (const [key, what] of blank) if (o[key] !== undefined) checkNonBlank(scope, `${field}.${key}`, o[key] as string, what);
  if (o.sni !== undefined) checkHost(scope, `${field}.sni`, o.sni);
  o.subjectAltNames?.forEach((san, i) => checkNonBlank(scope, `${field}.subjectAltNames[${i}]`, san, 'a subject alternative name'));
  const hasFiles = o.clientCertificate !== undefined || o.privateKey !== undefined;
  if (o.mode === 'MUTUAL' && o.credentialName === undefined && (o.clientCertificate === undefined || o.privateKey === undefined)) {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.credentialName`, o.credentialName,
      'MUTUAL needs credentialName, or clientCertificate and privateKey');
  }
  if (o.mode !== 'MUTUAL' && hasFiles) {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.mode`, o.mode,
      'clientCertificate and privateKey are used only with mode MUTUAL');
  }
  if ((o.mode === 'DISABLE' || o.mode === 'ISTIO_MUTUAL') && (o.caCertificates ?? o.credentialName ?? o.sni ?? o.subjectAltNames) !== undefined) {
    throw new PropError('MP_INVALID_PROP', scope, `${field}.mode`, o.mode,
      `caCertificates, credentialName, sni and subjectAltNames are ignored with ${o.mode}; use SIMPLE or MUTUAL`);
  }
  return prune({
    mode,
    caCertificates: o.caCertificates,
    credentialName: o.credentialName,
    clientCertificate: o.clientCertificate,
    privateKey: o.privateKey,
    sni: o.sni,
    subjectAltNames: o.subjectAltNames && [...o.subjectAltNames],
  });
}

/**
 * The same policy as a subset `trafficPolicy`.
 *
 * `cdk8s import` emits one copy of every nested type per place it occurs, each with its own enums;
 * TypeScript treats same-valued string enums from different declarations as unrelated, so the
 * structurally identical subset type needs this one cast. The JSON the two render is identical.
 */
export function asSubsetTrafficPolicy(policy: DestinationRuleSpecTrafficPolicy): DestinationRuleSpecSubsetsTrafficPolicy {
  return policy as unknown as DestinationRuleSpecSubsetsTrafficPolicy;
}

function translateParts(scope: IConstruct, field: string, o: Omit<TrafficPolicyOptions, 'portLevelSettings'>) {
  return {
    connectionPool: o.connectionPool && translateConnectionPool(scope, `${field}.connectionPool`, o.connectionPool),
    outlierDetection: o.outlierDetection && translateOutlierDetection(scope, `${field}.outlierDetection`, o.outlierDetection),
    loadBalancer: o.loadBalancer && translateLoadBalancer(scope, `${field}.loadBalancer`, o.loadBalancer),
    tls: o.tls && translateClientTls(scope, `${field}.tls`, o.tls),
  };
}

/**
 * One port's entry, with the destination-level parts it leaves out written in: istiod does not
 * inherit them into a port that has an entry (see {@link PortTrafficPolicyOptions}).
 * Port-level types are the same shapes again with their own enum copies: see `asSubsetTrafficPolicy`.
 */
function translatePortLevel(
  scope: IConstruct, field: string, p: PortTrafficPolicyOptions, destination: ReturnType<typeof translateParts>,
): DestinationRuleSpecTrafficPolicyPortLevelSettings {
  const own = translateParts(scope, field, p);
  const parts = prune({
    connectionPool: own.connectionPool ?? destination.connectionPool,
    outlierDetection: own.outlierDetection ?? destination.outlierDetection,
    loadBalancer: own.loadBalancer ?? destination.loadBalancer,
    tls: own.tls ?? destination.tls,
  }) as unknown as Omit<DestinationRuleSpecTrafficPolicyPortLevelSettings, 'port'>;
  return { port: { number: p.port }, ...parts };
}
