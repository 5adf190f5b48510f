import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  PeerAuthentication,
  type PeerAuthenticationSpec,
  PeerAuthenticationSpecMtlsMode,
  type PeerAuthenticationSpecPortLevelMtls,
  PeerAuthenticationSpecPortLevelMtlsMode,
} from '../../imports/security.istio.io.js';
import { PropError } from './_errors.js';
import { checkDnsLabel, checkPort, checkSelectorLabels, oneOf, recordEntries } from './_validate.js';
import { checkPropKeys, type PropKeys } from './_prop-keys.js';

/** Mutual TLS mode a workload accepts (Istio `PeerAuthentication.MutualTLS.Mode`). */
export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/**
 * Which workloads a policy covers. Istio applies the narrowest: workload over namespace over mesh.
 */
export class PolicyScope {
  /**
   * The whole mesh: the policy lives in the root namespace with no selector.
   * @param rootNamespace Istio's root namespace. @default 'istio-system'
   */
  static mesh(rootNamespace = 'istio-system'): PolicyScope {
    return new PolicyScope('mesh', rootNamespace, undefined);
  }
  /**
   * Every workload of one namespace: no selector.
   * @param namespace @default - the chart's namespace, else `default`
   */
  static namespace(namespace?: string): PolicyScope {
    return new PolicyScope('namespace', namespace, undefined);
  }
  /**
   * The workloads whose labels match `matchLabels` (e.g. `{ app: 'reviews' }`) in `namespace`.
   * @param namespace @default - the chart's namespace, else `default`
   */
  static workload(matchLabels: Readonly<Record<string, string>>, namespace?: string): PolicyScope {
    return new PolicyScope('workload', namespace, { ...matchLabels });
  }

  private constructor(
    readonly kind: 'mesh' | 'namespace' | 'workload',
    readonly namespace: string | undefined,
    readonly matchLabels: Readonly<Record<string, string>> | undefined,
  ) {}

  /** The namespace the policy object goes to, resolved against `scope`'s chart. @internal */
  resolveNamespace(scope: Construct): string {
    return checkDnsLabel(scope, 'scope.namespace', this.namespace ?? Chart.of(scope).namespace ?? 'default');
  }

  /** @internal */
  checkSelector(scope: Construct): Record<string, string> | undefined {
    if (this.matchLabels === undefined) return undefined;
    return checkSelectorLabels(scope, 'scope.matchLabels', this.matchLabels,
      ' (Istio rejects "*" in selectors); use PolicyScope.namespace() for all workloads');
  }
}

/** Props for `PeerAuthenticationPolicy`. */
export interface PeerAuthenticationPolicyProps {
  /** Which workloads the policy covers. */
  readonly scope: PolicyScope;
  /**
   * Object name (DNS-1123 label). Required for workload scope.
   * @default 'default' for mesh and namespace scope, Istio's convention
   */
  readonly name?: string;
  /** mTLS mode (`mtls.mode`). @default 'STRICT' */
  readonly mode?: MtlsMode;
  /**
   * Per-port modes, keyed by the workload's container port (`portLevelMtls`). Workload scope only.
   * @default - none
   */
  readonly portLevelMtls?: Readonly<Record<number, MtlsMode>>;
}

const MODES: Record<MtlsMode, PeerAuthenticationSpecMtlsMode> = {
  STRICT: PeerAuthenticationSpecMtlsMode.STRICT,
  PERMISSIVE: PeerAuthenticationSpecMtlsMode.PERMISSIVE,
  DISABLE: PeerAuthenticationSpecMtlsMode.DISABLE,
};
const PORT_MODES: Record<MtlsMode, PeerAuthenticationSpecPortLevelMtlsMode> = {
  STRICT: PeerAuthenticationSpecPortLevelMtlsMode.STRICT,
  PERMISSIVE: PeerAuthenticationSpecPortLevelMtlsMode.PERMISSIVE,
  DISABLE: PeerAuthenticationSpecPortLevelMtlsMode.DISABLE,
};

/** Every key of {@link PeerAuthenticationPolicyProps} (`checkPropKeys`). */
const PROP_KEYS: PropKeys<PeerAuthenticationPolicyProps> = { scope: true, name: true, mode: true, portLevelMtls: true };

/** Which traffic a workload accepts: a `PeerAuthentication`, STRICT mTLS by default. */
export class PeerAuthenticationPolicy extends Construct {
  /** L1 escape hatch. */
  readonly peerAuthentication: PeerAuthentication;

  constructor(scope: Construct, id: string, props: PeerAuthenticationPolicyProps) {
    super(scope, id);
    checkPropKeys(this, props, PROP_KEYS);
    const namespace = props.scope.resolveNamespace(this);
    const selector = props.scope.checkSelector(this);
    if (props.name === undefined && props.scope.kind === 'workload') {
      throw new PropError('MP_INVALID_NAME', this, 'name', props.name,
        'expected a name for a workload-scoped policy ("default" is kept for the namespace-wide one)');
    }
    const name = checkDnsLabel(this, 'name', props.name ?? 'default');
    const mode = checkMode(this, 'mode', props.mode ?? 'STRICT');
    const spec: PeerAuthenticationSpec = {
      selector: selector && { matchLabels: selector },
      mtls: { mode: MODES[mode] },
      portLevelMtls: props.portLevelMtls && portLevel(this, props.portLevelMtls, selector !== undefined),
    };
    this.peerAuthentication = new PeerAuthentication(this, 'Resource', { metadata: { name, namespace }, spec });
  }
}

function checkMode(scope: Construct, field: string, mode: MtlsMode): MtlsMode {
  oneOf(scope, field, mode, MODES);
  return mode;
}

function portLevel(
  scope: Construct, ports: Readonly<Record<number, MtlsMode>>, hasSelector: boolean,
): Record<string, PeerAuthenticationSpecPortLevelMtls> {
  if (!hasSelector) {
    throw new PropError('MP_INVALID_PROP', scope, 'portLevelMtls', ports, 'Istio accepts portLevelMtls only with a workload selector: use PolicyScope.workload()');
  }
  return Object.fromEntries(recordEntries(scope, 'portLevelMtls', ports).map(([port, mode]) => {
    checkPort(scope, `portLevelMtls[${port}]`, Number(port));
    return [port, { mode: PORT_MODES[checkMode(scope, `portLevelMtls[${port}]`, mode)] }];
  }));
}
