import { ApiObject, Chart } from 'cdk8s';
import { Construct, type IConstruct } from 'constructs';
import {
  AuthorizationPolicy,
  AuthorizationPolicySpecAction as Action,
  type AuthorizationPolicySpecRules,
  type AuthorizationPolicySpecRulesFromSource,
  type AuthorizationPolicySpecRulesToOperation,
} from '../../imports/security.istio.io.js';
import {
  allowRuleMatchesEverything, describeOpenFields, parseIpBlock, selectedWorkloadPorts, workloadPortsOf, type WorkloadPorts,
} from '../validate/authorization.js';
import { PropError, validationMessage } from './_errors.js';
import { checkDnsLabel, checkNonBlank, checkPort, oneOf } from './_validate.js';
import { prune } from './connection-pool.js';
import { meshSettingsOf } from './mesh-namespace.js';
import { PolicyScope } from './peer-authentication.js';
import { checkPropKeys, type PropKeys } from './_prop-keys.js';

/** Who sends the request (Istio `Source`). Fields are ANDed; values in one field are ORed. */
export interface RequestSource {
  /** Peer identities, e.g. `cluster.local/ns/default/sa/productpage` (needs mTLS). @default - any */
  readonly principals?: readonly string[];
  /** @default - none excluded */
  readonly notPrincipals?: readonly string[];
  /** Peer namespaces (needs mTLS). @default - any */
  readonly namespaces?: readonly string[];
  /** @default - none excluded */
  readonly notNamespaces?: readonly string[];
  /** Peer IP addresses or CIDR blocks, e.g. `10.0.0.0/16` or `2001:db8::/32`. @default - any */
  readonly ipBlocks?: readonly string[];
  /** @default - none excluded */
  readonly notIpBlocks?: readonly string[];
  /** JWT `iss/sub` identities. @default - any */
  readonly requestPrincipals?: readonly string[];
}

/** What the request does (Istio `Operation`). */
export interface RequestOperation {
  /** HTTP methods (upper case), e.g. `GET`. gRPC always uses `POST`. @default - any */
  readonly methods?: readonly string[];
  /** @default - none excluded */
  readonly notMethods?: readonly string[];
  /** Paths: exact, `prefix*`, `*suffix` or `*`. @default - any */
  readonly paths?: readonly string[];
  /** @default - none excluded */
  readonly notPaths?: readonly string[];
  /** Destination ports. @default - any */
  readonly ports?: readonly number[];
  /** @default - none excluded */
  readonly notPorts?: readonly number[];
  /** Host or authority header values. @default - any */
  readonly hosts?: readonly string[];
  /** @default - none excluded */
  readonly notHosts?: readonly string[];
}

/** An extra condition on an Istio attribute (Istio `Condition`), e.g. `request.headers[x-tenant]`. */
export interface RequestCondition {
  /** Attribute name, e.g. `source.ip` or `request.auth.claims[iss]`. */
  readonly key: string;
  /** Values that match. @default - none (then `notValues` is required) */
  readonly values?: readonly string[];
  /** Values that do not match. @default - none */
  readonly notValues?: readonly string[];
}

/**
 * One rule (Istio `Rule`): a request matches when it matches any `from` source, any `to`
 * operation and every `when` condition. An absent part matches everything.
 */
export interface AuthorizationRule {
  /** @default - any source */
  readonly from?: readonly RequestSource[];
  /** @default - any operation */
  readonly to?: readonly RequestOperation[];
  /** @default - no conditions */
  readonly when?: readonly RequestCondition[];
}

/** What a matching request gets (Istio `AuthorizationPolicy.Action`). */
export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

/** Props for `AllowPolicy`. */
export interface AllowPolicyProps {
  /** Object name (DNS-1123 label). */
  readonly name: string;
  /**
   * Workloads the policy covers (`selector`) and its namespace.
   * @default PolicyScope.namespace() - every workload in the chart's namespace
   */
  readonly scope?: PolicyScope;
  /** @default 'ALLOW' */
  readonly action?: AuthorizationAction;
  /** Extension provider name; required with `CUSTOM`, refused otherwise (`provider.name`). @default - none */
  readonly provider?: string;
  /**
   * Rules; a request matching any rule gets `action`. An ALLOW policy needs at least one rule
   * (with none it allows nothing: use `DefaultDenyPolicy` for that).
   * @default - none; with `allowAll`, the single empty rule that matches every request
   */
  readonly rules?: readonly AuthorizationRule[];
  /**
   * Permit an ALLOW rule that matches every request. Without it such a rule is refused
   * (`MP_ALLOWS_EVERYTHING`), because one stray `{}` silently opens a workload that a default-deny
   * policy was meant to close. "Every request" is the definition `security/allow-everything` uses
   * (src/validate/authorization.ts): no from/to/when; only wildcards (`principals`, `namespaces`,
   * `methods` or `hosts` `*`, `paths` `*` or `/*`, IP blocks covering every address); only
   * exclusions over unbounded sets (`notPrincipals`, `notIpBlocks`, `notPaths`, `notHosts`); or
   * `to.ports` listing every container port of the selected workloads (checked at synth time).
   * @default false
   */
  readonly allowAll?: boolean;
}

const ACTIONS: Record<AuthorizationAction, Action> = {
  ALLOW: Action.ALLOW, DENY: Action.DENY, AUDIT: Action.AUDIT, CUSTOM: Action.CUSTOM,
};

/** Every key of {@link AllowPolicyProps} (`checkPropKeys`). */
const ALLOW_POLICY_PROP_KEYS: PropKeys<AllowPolicyProps> = { name: true, scope: true, action: true, provider: true, rules: true, allowAll: true };

/** An `AuthorizationPolicy` from typed rules; ALLOW by default. */
export class AllowPolicy extends Construct {
  /** L1 escape hatch. */
  readonly authorizationPolicy: AuthorizationPolicy;

  constructor(scope: Construct, id: string, props: AllowPolicyProps) {
    super(scope, id);
    checkPropKeys(this, props, ALLOW_POLICY_PROP_KEYS);
    const name = checkDnsLabel(this, 'name', props.name);
    const policyScope = props.scope ?? PolicyScope.namespace();
    const namespace = policyScope.resolveNamespace(this);
    const selector = policyScope.checkSelector(this);
    const action = props.action ?? 'ALLOW';
    oneOf(this, 'action', action, ACTIONS);
    if ((action === 'CUSTOM') !== (props.provider !== undefined)) {
      throw new PropError('MP_INVALID_PROP', this, 'provider', props.provider,
        'expected a provider name (an extensionProviders entry of the mesh config) with action CUSTOM, and none otherwise');
    }
    if (props.provider !== undefined) checkNonBlank(this, 'provider', props.provider, 'an extensionProviders name from the mesh config');
    const rules = props.rules ?? (props.allowAll ? [{}] : []);
    if (action === 'ALLOW' && rules.length === 0) {
      throw new PropError('MP_INVALID_PROP', this, 'rules', props.rules,
        'expected at least one rule: an ALLOW policy without rules allows nothing (use DefaultDenyPolicy, or allowAll: true)');
    }
    const translated = rules.map((r, i) => translateRule(this, `rules[${i}]`, r));
    if (action === 'ALLOW' && props.allowAll !== true) {
      const trustDomains = [meshSettingsOf(this).trustDomain];
      translated.forEach((r, i) => {
        const open = allowRuleMatchesEverything(r, { trustDomains });
        if (open) throw allowsEverything(this, `rules[${i}]`, rules[i], open.because, open.fields);
      });
      // Whether to.ports covers every container port is known only once the app is complete.
      const scopeNamespace = policyScope.kind === 'mesh' ? null : namespace;
      this.node.addValidation({
        validate: () => translated.flatMap((r, i) => {
          const open = allowRuleMatchesEverything(r, { trustDomains, workloadPorts: () => selectedWorkloadPorts(appWorkloads(this), scopeNamespace, selector) });
          return open ? [validationMessage(allowsEverything(this, `rules[${i}]`, rules[i], open.because, open.fields))] : [];
        }),
      });
    }
    this.authorizationPolicy = new AuthorizationPolicy(this, 'Resource', {
      metadata: { name, namespace },
      spec: {
        selector: selector && { matchLabels: selector },
        action: ACTIONS[action],
        provider: props.provider === undefined ? undefined : { name: props.provider },
        rules: translated.length > 0 ? translated : undefined,
      },
    });
  }
}

/** Props for `DefaultDenyPolicy`. */
export interface DefaultDenyPolicyProps {
  /** Namespace to close. @default - the chart's namespace, else `default` */
  readonly namespace?: string;
  /** Object name. @default 'allow-nothing' (Istio's name for this policy) */
  readonly name?: string;
}

/** Every key of {@link DefaultDenyPolicyProps} (`checkPropKeys`). */
const DEFAULT_DENY_PROP_KEYS: PropKeys<DefaultDenyPolicyProps> = { namespace: true, name: true };

/**
 * Denies every request to a namespace unless another ALLOW policy matches it: an
 * `AuthorizationPolicy` whose spec is `{}` (no selector, no rules).
 */
export class DefaultDenyPolicy extends Construct {
  /** L1 escape hatch. */
  readonly authorizationPolicy: AuthorizationPolicy;

  constructor(scope: Construct, id: string, props: DefaultDenyPolicyProps = {}) {
    super(scope, id);
    checkPropKeys(this, props, DEFAULT_DENY_PROP_KEYS);
    const namespace = checkDnsLabel(this, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'default');
    const name = checkDnsLabel(this, 'name', props.name ?? 'allow-nothing');
    this.authorizationPolicy = new AuthorizationPolicy(this, 'Resource', { metadata: { name, namespace }, spec: {} });
  }
}

const METHOD = /^([A-Z]+|\*)$/;

/** Maps one `AuthorizationRule` to Istio's `Rule`, naming `field` on error. */
export function translateRule(scope: Construct, field: string, rule: AuthorizationRule): AuthorizationPolicySpecRules {
  return prune({
    from: rule.from?.map((s, i) => ({ source: translateSource(scope, `${field}.from[${i}]`, s) })),
    to: rule.to?.map((o, i) => ({ operation: translateOperation(scope, `${field}.to[${i}]`, o) })),
    when: rule.when?.map((c, i) => {
      const f = `${field}.when[${i}]`;
      if (typeof c.key !== 'string' || c.key.length === 0) throw new PropError('MP_INVALID_PROP', scope, `${f}.key`, c.key, 'expected an Istio attribute name');
      if (!c.values?.length && !c.notValues?.length) {
        throw new PropError('MP_INVALID_PROP', scope, f, c, 'expected values or notValues');
      }
      noEmptyValue(scope, f, 'values', c.values);
      noEmptyValue(scope, f, 'notValues', c.notValues);
      return { key: c.key, values: list(c.values), notValues: list(c.notValues) };
    }),
  });
}

function translateSource(scope: Construct, field: string, s: RequestSource): AuthorizationPolicySpecRulesFromSource {
  for (const key of ['ipBlocks', 'notIpBlocks'] as const) {
    s[key]?.forEach((b, i) => {
      if (parseIpBlock(b) === null) {
        throw new PropError('MP_INVALID_IP_BLOCK', scope, `${field}.${key}[${i}]`, b,
          'expected an IP address or CIDR block such as "10.0.0.0/16", "192.168.1.7" or "2001:db8::/32"');
      }
    });
  }
  for (const key of ['principals', 'notPrincipals', 'requestPrincipals', 'namespaces', 'notNamespaces'] as const) noEmptyValue(scope, field, key, s[key]);
  const out: AuthorizationPolicySpecRulesFromSource = {
    principals: list(s.principals), notPrincipals: list(s.notPrincipals),
    namespaces: list(s.namespaces), notNamespaces: list(s.notNamespaces),
    ipBlocks: list(s.ipBlocks), notIpBlocks: list(s.notIpBlocks),
    requestPrincipals: list(s.requestPrincipals),
  };
  return nonEmpty(scope, field, out);
}

function translateOperation(scope: Construct, field: string, o: RequestOperation): AuthorizationPolicySpecRulesToOperation {
  for (const key of ['methods', 'notMethods'] as const) {
    o[key]?.forEach((m, i) => {
      if (!METHOD.test(m)) throw new PropError('MP_INVALID_PROP', scope, `${field}.${key}[${i}]`, m, 'expected an upper-case HTTP method such as "GET", or "*"');
    });
  }
  for (const key of ['paths', 'notPaths'] as const) {
    o[key]?.forEach((p, i) => {
      if (!p.startsWith('/') && !p.startsWith('*')) {
        throw new PropError('MP_INVALID_PROP', scope, `${field}.${key}[${i}]`, p, 'expected a path starting with "/" or "*"');
      }
    });
  }
  for (const key of ['hosts', 'notHosts'] as const) noEmptyValue(scope, field, key, o[key]);
  const ports = (key: 'ports' | 'notPorts') => o[key]?.map((p, i) => String(checkPort(scope, `${field}.${key}[${i}]`, p)));
  const out: AuthorizationPolicySpecRulesToOperation = {
    methods: list(o.methods), notMethods: list(o.notMethods),
    paths: list(o.paths), notPaths: list(o.notPaths),
    ports: ports('ports'), notPorts: ports('notPorts'),
    hosts: list(o.hosts), notHosts: list(o.notHosts),
  };
  return nonEmpty(scope, field, out);
}

/**
 * Istio's webhook refuses an empty string in any source, operation or condition value list
 * (security.CheckEmptyValues: "empty value not allowed"); a blank principal is also easy to
 * produce from an unset variable, so it is refused here, naming the entry.
 */
function noEmptyValue(scope: Construct, field: string, key: string, values: readonly string[] | undefined): void {
  values?.forEach((v, i) => {
    if (typeof v === 'string' && v.trim() === '') {
      throw new PropError('MP_INVALID_PROP', scope, `${field}.${key}[${i}]`, v, 'expected a non-blank value (Istio refuses an empty one, and a blank one matches no request); leave the entry out instead');
    }
  });
}

/** Istio rejects an empty `source` or `operation`; it would also read as "anything". */
function nonEmpty<T extends object>(scope: Construct, field: string, value: T): T {
  const pruned = prune(value);
  if (Object.values(pruned).every((v) => v === undefined || (Array.isArray(v) && v.length === 0))) {
    throw new PropError('MP_INVALID_PROP', scope, field, {}, 'expected at least one field; omit the entry to match anything');
  }
  return pruned;
}

function allowsEverything(scope: IConstruct, field: string, rule: AuthorizationRule | undefined, because: string, fields: Parameters<typeof describeOpenFields>[0]): PropError {
  const detail = fields.length > 0 ? ` (${describeOpenFields(fields)})` : '';
  return new PropError('MP_ALLOWS_EVERYTHING', scope, field, rule ?? {},
    `this ALLOW rule ${because}${detail}, so it matches every request; name the callers (from.principals) and operations (to), ` +
    'put exceptions in a DENY policy, or set allowAll: true if that is intended');
}

const WORKLOADS = new WeakMap<IConstruct, WorkloadPorts[]>();

/** Pod labels and container ports of every workload object in the app, read once per app at validation time. */
function appWorkloads(scope: IConstruct): WorkloadPorts[] {
  const root = scope.node.root;
  let found = WORKLOADS.get(root);
  if (found === undefined) {
    found = [];
    for (const c of root.node.findAll()) {
      if (!ApiObject.isApiObject(c) || !WORKLOAD_KINDS.has(c.kind)) continue;
      const w = workloadPortsOf(c.toJson());
      if (w !== null) found.push(w);
    }
    WORKLOADS.set(root, found);
  }
  return found;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

function list(values: readonly string[] | undefined): string[] | undefined {
  return values === undefined || values.length === 0 ? undefined : [...values];
}
