import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, type IConstruct } from 'constructs';
import { PropError } from './_errors.js';
import { checkDnsLabel, checkSelectorLabels } from './_validate.js';
import { DefaultDenyPolicy } from './authorization-policy.js';
import { PeerAuthenticationPolicy, PolicyScope, type MtlsMode } from './peer-authentication.js';
import { checkPropKeys, type PropKeys } from './_prop-keys.js';

/** Construct-context keys for the mesh settings every construct reads (set once on the App). */
export const CLUSTER_DOMAIN_CONTEXT = 'meshproof:clusterDomain';
export const TRUST_DOMAIN_CONTEXT = 'meshproof:trustDomain';

/** The cluster and trust domains in force for constructs. */
export interface MeshSettings {
  /** Kubernetes cluster domain: hosts are `<svc>.<ns>.svc.<clusterDomain>`. @default 'cluster.local' */
  readonly clusterDomain: string;
  /** MeshConfig `trustDomain`: principals are `<trustDomain>/ns/<ns>/sa/<sa>`. @default 'cluster.local' */
  readonly trustDomain: string;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

function domainSetting(scope: IConstruct, key: string, field: string): string {
  const v: unknown = scope.node.tryGetContext(key);
  if (v === undefined) return 'cluster.local';
  if (typeof v !== 'string' || !DNS_NAME.test(v)) {
    throw new PropError('MP_INVALID_PROP', scope, field, v, `a DNS name such as "cluster.local" (set with app.node.setContext('${key}', …))`);
  }
  return v;
}

/**
 * The mesh settings for `scope`: the construct context `meshproof:clusterDomain` and
 * `meshproof:trustDomain` (set on the App before adding charts: `app.node.setContext('meshproof:trustDomain', 'corp.example')`),
 * else Istio's defaults. Throws a PropError naming the key for a value that is not a DNS name.
 */
export function meshSettingsOf(scope: IConstruct): MeshSettings {
  return { clusterDomain: domainSetting(scope, CLUSTER_DOMAIN_CONTEXT, 'context.clusterDomain'), trustDomain: domainSetting(scope, TRUST_DOMAIN_CONTEXT, 'context.trustDomain') };
}

/** Props for `MeshNamespace`. */
export interface MeshNamespaceProps {
  /** Namespace name (DNS-1123 label). */
  readonly name: string;
  /**
   * Control-plane revision whose injector serves the namespace (label `istio.io/rev`), for
   * revision-based upgrades. @default - none: label `istio-injection: enabled` (the default revision)
   */
  readonly revision?: string;
  /** Mode of the namespace-wide PeerAuthentication named `default`. @default 'STRICT' */
  readonly mtls?: MtlsMode;
  /** Add the `allow-nothing` AuthorizationPolicy, so only explicit ALLOW policies admit calls. @default true */
  readonly defaultDeny?: boolean;
  /** More labels on the Namespace (not `istio-injection` / `istio.io/rev`, which this construct sets). @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Every key of {@link MeshNamespaceProps} (`checkPropKeys`). */
const PROP_KEYS: PropKeys<MeshNamespaceProps> = { name: true, revision: true, mtls: true, defaultDeny: true, labels: true };

/**
 * A namespace joined to the mesh: sidecar injection (label `istio-injection: enabled`, or
 * `istio.io/rev: <revision>`), a namespace-wide PeerAuthentication (STRICT by default), and a
 * default-deny AuthorizationPolicy. `principal(sa)` names workload identities with the trust
 * domain in force (`meshSettingsOf`).
 */
export class MeshNamespace extends Construct {
  /** The namespace name. */
  readonly name: string;
  /** The trust domain principals are written with. */
  readonly trustDomain: string;
  /** The cluster domain hosts are written with. */
  readonly clusterDomain: string;
  /** L2 escape hatch: the Namespace. */
  readonly namespace: kplus.Namespace;
  readonly peerAuthentication: PeerAuthenticationPolicy;
  readonly defaultDeny: DefaultDenyPolicy | undefined;

  constructor(scope: Construct, id: string, props: MeshNamespaceProps) {
    super(scope, id);
    checkPropKeys(this, props, PROP_KEYS);
    this.name = checkDnsLabel(this, 'name', props.name);
    const settings = meshSettingsOf(this);
    this.trustDomain = settings.trustDomain;
    this.clusterDomain = settings.clusterDomain;
    const extra = props.labels === undefined ? {} : checkSelectorLabels(this, 'labels', props.labels);
    for (const reserved of ['istio-injection', 'istio.io/rev']) {
      if (reserved in extra) throw new PropError('MP_INVALID_PROP', this, `labels.${reserved}`, extra[reserved], `no ${reserved} label: use the revision prop (or none for istio-injection: enabled)`);
    }
    const injection: Record<string, string> = props.revision === undefined ? { 'istio-injection': 'enabled' } : { 'istio.io/rev': checkDnsLabel(this, 'revision', props.revision) };
    this.namespace = new kplus.Namespace(this, 'namespace', { metadata: { name: this.name, labels: { ...extra, ...injection } } });
    // Namespaces are cluster-scoped; the chart's default namespace must not be stamped on them.
    ApiObject.of(this.namespace).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    this.peerAuthentication = new PeerAuthenticationPolicy(this, 'mtls', { scope: PolicyScope.namespace(this.name), name: 'default', ...(props.mtls ? { mode: props.mtls } : {}) });
    this.defaultDeny = props.defaultDeny === false ? undefined : new DefaultDenyPolicy(this, 'deny', { namespace: this.name });
  }

  /** The SPIFFE principal of `serviceAccount` in this namespace: `<trustDomain>/ns/<name>/sa/<serviceAccount>`. */
  principal(serviceAccount: string): string {
    return `${this.trustDomain}/ns/${this.name}/sa/${checkDnsLabel(this, 'serviceAccount', serviceAccount)}`;
  }

  /** `<service>.<name>.svc.<clusterDomain>`. */
  host(service: string): string {
    return `${service}.${this.name}.svc.${this.clusterDomain}`;
  }
}
