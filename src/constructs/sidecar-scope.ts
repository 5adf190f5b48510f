import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Sidecar, SidecarSpecOutboundTrafficPolicyMode as Mode } from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';
import { checkDnsLabel, checkHost, checkSelectorLabels, oneOf } from './_validate.js';
import type { IRoutable } from './destination.js';
import { checkPropKeys, type PropKeys } from './_prop-keys.js';

/** What happens to traffic for hosts outside the registry (Istio `OutboundTrafficPolicy.Mode`). */
export type OutboundTrafficMode = 'REGISTRY_ONLY' | 'ALLOW_ANY';

/** Props for `SidecarScope`. */
export interface SidecarScopeProps {
  /**
   * Object name. Istio allows one selector-less Sidecar per namespace.
   * @default 'default'
   */
  readonly name?: string;
  /** @default - the chart's namespace, else `default` */
  readonly namespace?: string;
  /**
   * Hosts the proxies may reach, as `namespace/host` (`./*` this namespace, `istio-system/*`,
   * `*\/api.example.com`, `~/*` none) or as routables (`<their namespace>/<host>`). A `~` before a
   * namespace excludes instead (Istio 1.31 Sidecar `hosts`): `~legacy/*` drops what the other entries
   * import from `legacy`, `~./debug.example.com` one host of this namespace, `~/x.example.com` one
   * host of every namespace.
   * @default ['./*', 'istio-system/*']
   */
  readonly egressHosts?: readonly (string | IRoutable)[];
  /**
   * Labels of the workloads this Sidecar applies to (`workloadSelector.labels`).
   * @default - every workload in the namespace
   */
  readonly workloadSelector?: Readonly<Record<string, string>>;
  /**
   * Traffic to hosts outside the registry: REGISTRY_ONLY blocks it (`outboundTrafficPolicy.mode`).
   * @default 'REGISTRY_ONLY'
   */
  readonly outboundTrafficPolicy?: OutboundTrafficMode;
}

const MODES: Record<OutboundTrafficMode, Mode> = {
  REGISTRY_ONLY: Mode.REGISTRY_UNDERSCORE_ONLY,
  ALLOW_ANY: Mode.ALLOW_UNDERSCORE_ANY,
};

/** Every key of {@link SidecarScopeProps} (`checkPropKeys`). */
const PROP_KEYS: PropKeys<SidecarScopeProps> = { name: true, namespace: true, egressHosts: true, workloadSelector: true, outboundTrafficPolicy: true };

/**
 * Limits what a namespace's (or some workloads') proxies know about and may reach: an Istio
 * `Sidecar` with egress hosts and, by default, REGISTRY_ONLY outbound traffic.
 */
export class SidecarScope extends Construct {
  /** L1 escape hatch. */
  readonly sidecar: Sidecar;

  constructor(scope: Construct, id: string, props: SidecarScopeProps = {}) {
    super(scope, id);
    checkPropKeys(this, props, PROP_KEYS);
    const namespace = checkDnsLabel(this, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    const name = checkDnsLabel(this, 'name', props.name ?? 'default');
    const hosts = (props.egressHosts ?? ['./*', 'istio-system/*']).map((h, i) =>
      typeof h === 'string' ? checkEgressHost(this, `egressHosts[${i}]`, h) : `${h.namespace}/${h.host}`);
    if (hosts.length === 0) {
      throw new PropError('MP_INVALID_HOST', this, 'egressHosts', props.egressHosts, 'expected at least one host; use "~/*" to reach nothing');
    }
    const mode = oneOf(this, 'outboundTrafficPolicy', props.outboundTrafficPolicy ?? 'REGISTRY_ONLY', MODES);
    const labels = props.workloadSelector === undefined ? undefined : checkSelectorLabels(this, 'workloadSelector', props.workloadSelector);
    this.sidecar = new Sidecar(this, 'Resource', {
      metadata: { name, namespace },
      spec: {
        workloadSelector: labels && { labels },
        egress: [{ hosts: [...new Set(hosts)] }],
        outboundTrafficPolicy: { mode },
      },
    });
  }
}

/** `namespace/host`: namespace `.`, `*`, `~` or a DNS label, optionally after a `~` that excludes; host `*`, `*.suffix` or a DNS name. */
function checkEgressHost(scope: Construct, field: string, value: string): string {
  const slash = typeof value === 'string' ? value.indexOf('/') : -1;
  const allowed = 'expected "namespace/host", e.g. "./*", "istio-system/*" or "default/reviews.default.svc.cluster.local" ("~legacy/*" or "~/host" to exclude)';
  if (slash <= 0) throw new PropError('MP_INVALID_HOST', scope, field, value, allowed);
  const written = value.slice(0, slash);
  // One `~` excludes (`~ns/host`, `~./host`, `~/host`); `~/*` alone is the classic "nothing".
  const excludes = written.startsWith('~') && written.length > 1;
  const ns = excludes ? written.slice(1) : written;
  const host = value.slice(slash + 1);
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns);
  if (excludes ? ns !== '.' && !label : !['.', '*', '~'].includes(ns) && !label) {
    throw new PropError('MP_INVALID_HOST', scope, field, value, allowed);
  }
  try {
    checkHost(scope, field, host, { allowStar: true });
  } catch {
    throw new PropError('MP_INVALID_HOST', scope, field, value, allowed);
  }
  return value;
}
