import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Gateway,
  GatewaySpecServersTlsMaxProtocolVersion,
  GatewaySpecServersTlsMinProtocolVersion,
  GatewaySpecServersTlsMode,
  type GatewaySpecServers,
} from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import { checkDnsLabel, checkHost, checkPort, checkSelectorLabels, oneOf } from './_validate.js';
import type { HttpRouteOptions } from './http-route.js';
import { RouteTable } from './route-table.js';
import { checkPropKeys, type PropKeys } from './_prop-keys.js';

/** TLS versions an IngressGateway accepts as its minimum; older ones are refused. */
export type TlsVersion = 'TLSV1_2' | 'TLSV1_3';

/** How the HTTPS server of an IngressGateway terminates TLS (`tls.mode`). */
export type IngressTlsMode = 'SIMPLE' | 'MUTUAL';

/** Props of an IngressGateway. */
export interface IngressGatewayProps {
  /**
   * SIMPLE: server certificate only (public sites). MUTUAL: clients must also present a
   * certificate signed by the CA in `credentialName` (`tls.mode`). @default SIMPLE
   */
  readonly tlsMode?: IngressTlsMode;
  /** Hosts the gateway serves (`servers[].hosts`); wildcards such as `*.example.com` allowed. */
  readonly hosts: readonly string[];
  /**
   * Kubernetes Secret in the gateway's namespace holding the server certificate and key and, for
   * MUTUAL, the CA bundle client certificates are verified against (`key`, `cert`, `cacert` keys,
   * or a separate `<name>-cacert` Secret) (`tls.credentialName`).
   */
  readonly credentialName: string;
  /** Secret holding the client CA bundle, when not inside `credentialName` (`tls.caCertCredentialName`). @default the CA in credentialName */
  readonly caCertCredentialName?: string;
  /** Lowest TLS version accepted (`tls.minProtocolVersion`). @default TLSV1_2 */
  readonly minProtocolVersion?: TlsVersion;
  /** Highest TLS version accepted (`tls.maxProtocolVersion`). @default Envoy's (TLS 1.3) */
  readonly maxProtocolVersion?: TlsVersion;
  /** Client certificate SANs allowed (`tls.subjectAltNames`). @default any certificate the CA signed */
  readonly subjectAltNames?: readonly string[];
  /** Cipher suites (`tls.cipherSuites`). @default Envoy's defaults */
  readonly cipherSuites?: readonly string[];
  /** Labels selecting the gateway pods (`selector`). @default { istio: 'ingressgateway' } */
  readonly selector?: Readonly<Record<string, string>>;
  /** HTTPS port (`servers[].port.number`); not 80 while `httpsRedirect` puts the HTTP server there. @default 443 */
  readonly httpsPort?: number;
  /** Add a plain HTTP server on port 80 that answers 301 to https (`tls.httpsRedirect`); when false, no port-80 server at all. @default true */
  readonly httpsRedirect?: boolean;
  /** `metadata.name` of the Gateway. @default the construct id */
  readonly name?: string;
  /** Namespace of the Gateway and its VirtualService. @default the chart's */
  readonly namespace?: string;
  /** `metadata.name` of the bound VirtualService. @default the gateway name */
  readonly routeTableName?: string;
  /** Catch-all route of the bound VirtualService. @default none; add routes with `routes.addRoute` */
  readonly defaultRoute?: HttpRouteOptions;
}

const DEFAULT_SELECTOR = { istio: 'ingressgateway' } as const;
/** The port of the HTTP server that answers 301 to https. */
const HTTP_REDIRECT_PORT = 80;
const MIN_VERSIONS: Record<TlsVersion, GatewaySpecServersTlsMinProtocolVersion> = {
  TLSV1_2: GatewaySpecServersTlsMinProtocolVersion.TLSV1_UNDERSCORE_2,
  TLSV1_3: GatewaySpecServersTlsMinProtocolVersion.TLSV1_UNDERSCORE_3,
};
const MAX_VERSIONS: Record<TlsVersion, GatewaySpecServersTlsMaxProtocolVersion> = {
  TLSV1_2: GatewaySpecServersTlsMaxProtocolVersion.TLSV1_UNDERSCORE_2,
  TLSV1_3: GatewaySpecServersTlsMaxProtocolVersion.TLSV1_UNDERSCORE_3,
};

/** Every key of {@link IngressGatewayProps} (`checkPropKeys`). */
const PROP_KEYS: PropKeys<IngressGatewayProps> = { tlsMode: true, hosts: true, credentialName: true, caCertCredentialName: true, minProtocolVersion: true, maxProtocolVersion: true, subjectAltNames: true, cipherSuites: true, selector: true, httpsPort: true, httpsRedirect: true, name: true, namespace: true, routeTableName: true, defaultRoute: true };

/**
 * An ingress Gateway that terminates TLS (SIMPLE, or MUTUAL with client certificates) with TLS 1.2
 * or later and, by default, an HTTP server that redirects to HTTPS. Its routes live in `routes`,
 * a RouteTable bound to this gateway only (`gateways: [<ns>/<name>]`).
 */
export class IngressGateway extends Construct {
  /** The L1 Gateway. */
  readonly gateway: Gateway;
  /** The VirtualService bound to this gateway; add routes with `routes.addRoute(...)`. */
  readonly routes: RouteTable;
  /** `metadata.name` of the Gateway. */
  readonly name: string;
  /** The reference VirtualServices use in `gateways`: `<ns>/<name>` (or `<name>` when no namespace is known). */
  readonly gatewayRef: string;

  constructor(scope: Construct, id: string, props: IngressGatewayProps) {
    super(scope, id);
    checkPropKeys(this, props, PROP_KEYS);
    if (!Array.isArray(props.hosts) || props.hosts.length === 0) {
      throw new PropError('MP_INVALID_HOST', this, 'hosts', props.hosts, 'expected at least one host');
    }
    const hosts = props.hosts.map((h, i) => checkHost(this, `hosts[${i}]`, h, { allowStar: true }));
    const credentialName = checkSecretName(this, 'credentialName', props.credentialName);
    const tlsMode = props.tlsMode ?? 'SIMPLE';
    if (tlsMode !== 'SIMPLE' && tlsMode !== 'MUTUAL') {
      throw new PropError('MP_INVALID_PROP', this, 'tlsMode', tlsMode, 'expected SIMPLE or MUTUAL (use a plain Gateway for PASSTHROUGH)');
    }
    if (tlsMode === 'SIMPLE' && (props.caCertCredentialName !== undefined || props.subjectAltNames !== undefined)) {
      throw new PropError('MP_INVALID_PROP', this, props.caCertCredentialName !== undefined ? 'caCertCredentialName' : 'subjectAltNames',
        props.caCertCredentialName ?? props.subjectAltNames, 'client-certificate settings need tlsMode MUTUAL; remove them or set tlsMode: "MUTUAL"');
    }
    const caCert = props.caCertCredentialName === undefined ? undefined : checkSecretName(this, 'caCertCredentialName', props.caCertCredentialName);
    const minVersion = checkVersion(this, 'minProtocolVersion', props.minProtocolVersion ?? 'TLSV1_2');
    const maxVersion = props.maxProtocolVersion === undefined ? undefined : checkVersion(this, 'maxProtocolVersion', props.maxProtocolVersion);
    if (maxVersion !== undefined && maxVersion < minVersion) {
      throw new PropError('MP_INVALID_PROP', this, 'maxProtocolVersion', maxVersion, `expected a version at or above minProtocolVersion (${minVersion})`);
    }
    const httpsPort = checkPort(this, 'httpsPort', props.httpsPort ?? 443);
    if (props.httpsRedirect !== false && httpsPort === HTTP_REDIRECT_PORT) {
      throw new PropError('MP_INVALID_PORT', this, 'httpsPort', httpsPort,
        `expected a port other than ${HTTP_REDIRECT_PORT}, where the HTTP server redirecting to HTTPS listens (two servers on one port with one host conflict; Istio serves only one); use 443, or set httpsRedirect: false`);
    }
    this.name = checkDnsLabel(this, 'name', props.name ?? id);
    if (props.namespace !== undefined) checkDnsLabel(this, 'namespace', props.namespace);
    const selector = checkSelectorLabels(this, 'selector', props.selector ?? DEFAULT_SELECTOR, '; omit it for { istio: "ingressgateway" }');
    const namespace = props.namespace ?? Chart.of(this).namespace;
    this.gatewayRef = namespace !== undefined ? `${namespace}/${this.name}` : this.name;

    const servers: GatewaySpecServers[] = [{
      port: { number: httpsPort, name: 'https', protocol: 'HTTPS' },
      hosts: [...hosts],
      tls: {
        mode: tlsMode === 'MUTUAL' ? GatewaySpecServersTlsMode.MUTUAL : GatewaySpecServersTlsMode.SIMPLE,
        credentialName,
        caCertCredentialName: caCert,
        minProtocolVersion: MIN_VERSIONS[minVersion],
        maxProtocolVersion: maxVersion === undefined ? undefined : MAX_VERSIONS[maxVersion],
        subjectAltNames: props.subjectAltNames === undefined ? undefined : [...props.subjectAltNames],
        cipherSuites: props.cipherSuites === undefined ? undefined : [...props.cipherSuites],
      },
    }];
    if (props.httpsRedirect !== false) {
      servers.push({ port: { number: HTTP_REDIRECT_PORT, name: 'http', protocol: 'HTTP' }, hosts: [...hosts], tls: { httpsRedirect: true } });
    }
    this.gateway = new Gateway(this, 'Resource', {
      metadata: { name: this.name, ...(props.namespace !== undefined ? { namespace: props.namespace } : {}) },
      spec: { selector, servers },
    });
    this.routes = new RouteTable(this, 'Routes', {
      hosts,
      gateways: [this.gatewayRef],
      name: props.routeTableName ?? this.name,
      namespace: props.namespace,
      defaultRoute: props.defaultRoute,
      // An edge gateway commonly exposes only some paths; unmatched requests get 404 on purpose.
      requireDefaultRoute: false,
    });
  }
}

function checkVersion(scope: Construct, field: string, value: TlsVersion): TlsVersion {
  if (typeof value !== 'string' || !Object.hasOwn(MIN_VERSIONS, value)) {
    throw new PropError('MP_INVALID_PROP', scope, field, value, 'expected TLSV1_2 or TLSV1_3 (older TLS versions are insecure)');
  }
  return value;
}

function checkSecretName(scope: Construct, field: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) {
    throw new PropError('MP_INVALID_NAME', scope, field, value, 'expected a Kubernetes Secret name: lower-case letters, digits, "-" and "."');
  }
  return value;
}
