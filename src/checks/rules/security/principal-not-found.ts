import type { MeshGraph, Workload } from '../../../mesh/graph.js';
import { gatewayApiOf } from '../../../mesh/gateway-api.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { closest, editDistance } from '../../config/did-you-mean.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/**
 * `<trust domain>/ns/<namespace>/sa/<service account>`, written exactly, or with `*` as the whole trust domain
 * (generator.go makes a leading `*` a suffix match: any trust domain, that namespace and account), or `*` as
 * the whole account (a trailing `*`, a prefix match: every account of that namespace).
 */
const PRINCIPAL = /^([^/*]+|\*)\/ns\/([^/*]+)\/sa\/([^/*]+|\*)$/;

/** What the input says about the identities of one namespace. */
interface NamespaceIdentities {
  /** ServiceAccount objects, by name. */
  readonly accounts: ReadonlySet<string>;
  /** Workloads by the service account they run as. */
  readonly runAs: ReadonlyMap<string, readonly Workload[]>;
}

function identitiesOf(graph: MeshGraph): Map<string, NamespaceIdentities> {
  const out = new Map<string, { accounts: Set<string>; runAs: Map<string, Workload[]> }>();
  const of = (ns: string) => {
    let e = out.get(ns);
    if (!e) out.set(ns, (e = { accounts: new Set(), runAs: new Map() }));
    return e;
  };
  for (const sa of graph.objects) if (sa.kind === 'ServiceAccount' && sa.group === '') of(sa.namespace).accounts.add(sa.name);
  for (const gw of gatewayApiOf(graph).ofKind('Gateway')) {
    const account = deployedGatewayAccount(gw);
    if (account) of(gw.namespace).accounts.add(account);
  }
  for (const w of graph.workloads.all) {
    const e = of(w.namespace);
    const list = e.runAs.get(w.serviceAccount);
    if (list) list.push(w);
    else e.runAs.set(w.serviceAccount, [w]);
  }
  return out;
}

/** Gateway classes whose istiod-deployed gateway is named after the Gateway alone (classinfo.go DisableNameSuffix). */
const UNSUFFIXED_CLASSES: ReadonlySet<string> = new Set(['istio-waypoint', 'istio-east-west', 'agentgateway', 'agentgateway-waypoint']);

/**
 * The service account istiod's deployment controller gives the pods of a Gateway API Gateway it deploys
 * (gatewaycommon/deploymentcontroller.go): the annotation gateway.istio.io/service-account, else
 * `<gateway name>-<gatewayClassName>` (just `<gateway name>` for waypoint and east-west classes). Those pods
 * are not in the input, so the account counts as declared. Undefined for a Gateway without a class.
 */
function deployedGatewayAccount(gw: MeshObject): string | undefined {
  const annotated = gw.annotations['gateway.istio.io/service-account'];
  if (annotated) return annotated;
  const cls = gw.spec.gatewayClassName;
  if (typeof cls !== 'string' || cls === '') return undefined;
  return UNSUFFIXED_CLASSES.has(cls) ? gw.name : `${gw.name}-${cls}`;
}

/** One identity a policy names: a principal as written, or a service account turned into the principal it matches. */
interface NamedIdentity {
  /** `<trust domain>/ns/<namespace>/sa/<service account>`. */
  readonly principal: string;
  readonly path: FieldPath;
  /** An exclusion (`notPrincipals`, `notServiceAccounts`, `notValues`). */
  readonly negated: boolean;
  /** How messages name it: `Principal "…"` or `Service account "…"`. */
  readonly label: string;
  /** The value to suggest for namespace `ns`, account `sa`, written as this identity was. */
  readonly suggest: (trustDomain: string, ns: string, sa: string) => string;
}

/**
 * Every identity an AuthorizationPolicy matches or excludes callers by, with its field path:
 * `from[].source.principals[]` / `notPrincipals[]` and the `values` / `notValues` of `when[]` conditions on
 * `source.principal` (the same matcher in Istio's generator.go), and `from[].source.serviceAccounts[]` /
 * `notServiceAccounts[]` and `when[]` conditions on `source.serviceAccount`, written `<namespace>/<name>` or
 * `<name>` in the policy's namespace (generator.go serviceAccountRegex: any trust domain, that namespace and
 * account). `negated` for the exclusions.
 */
function principalsOf(ap: MeshObject): NamedIdentity[] {
  const out: NamedIdentity[] = [];
  const principal = (value: string, path: FieldPath, negated: boolean) => out.push({
    principal: value, path, negated, label: `Principal "${value}"`, suggest: (td, ns, sa) => `${td}/ns/${ns}/sa/${sa}`,
  });
  const account = (value: string, path: FieldPath, negated: boolean) => {
    const [ns, sa] = value.includes('/') ? value.split('/', 2) as [string, string] : [ap.namespace, value];
    out.push({
      principal: `cluster.local/ns/${ns}/sa/${sa}`, path, negated, label: `Service account "${value}"`,
      suggest: (_, n, a) => (value.includes('/') || n !== ap.namespace ? `${n}/${a}` : a),
    });
  };
  (Array.isArray(ap.spec.rules) ? ap.spec.rules : []).forEach((rule, i) => {
    if (!isRecord(rule)) return;
    (Array.isArray(rule.from) ? rule.from : []).forEach((from, j) => {
      const source = isRecord(from) && isRecord(from.source) ? from.source : undefined;
      for (const field of ['principals', 'notPrincipals', 'serviceAccounts', 'notServiceAccounts'] as const) {
        const add = field.endsWith('rincipals') ? principal : account;
        (stringList(source?.[field]) ?? []).forEach((v, k) => add(v, ['spec', 'rules', i, 'from', j, 'source', field, k], field.startsWith('not')));
      }
    });
    (Array.isArray(rule.when) ? rule.when : []).forEach((cond, j) => {
      if (!isRecord(cond) || (cond.key !== 'source.principal' && cond.key !== 'source.serviceAccount')) return;
      const add = cond.key === 'source.principal' ? principal : account;
      for (const field of ['values', 'notValues'] as const) {
        (stringList(cond[field]) ?? []).forEach((v, k) => add(v, ['spec', 'rules', i, 'when', j, field, k], field === 'notValues'));
      }
    });
  });
  return out;
}

/** What a principal that matches nobody does to its rule. */
function effectOf(negated: boolean): string {
  return negated ? 'the exclusion never applies, so the rule still matches the callers it was meant to leave out' : 'the rule never matches';
}

/**
 * `security/principal-not-found`: an ALLOW or DENY principal that names a service account no
 * workload of the input runs as (or only workloads without a proxy, which present no identity).
 */
const principalNotFound: Rule = {
  id: 'security/principal-not-found',
  severity: 'warning',
  summary: 'An AuthorizationPolicy principal names a service account that no meshed workload in the input runs as, or a source namespace whose workloads all run without a proxy.',
  docs: [
    'A principal `<trust domain>/ns/<namespace>/sa/<service account>` matches callers whose mTLS certificate carries',
    'that identity: pods of that namespace running as that service account, with a proxy (sidecar, gateway or',
    'ambient) to present it. When the input holds the namespace\'s workloads and none runs as that account (and no',
    'ServiceAccount object of that name exists), or only workloads without a proxy do, the principal never matches:',
    'an ALLOW rule lets nobody in (behind default-deny every call gets 403, RBAC: access denied) and a DENY rule',
    'blocks nobody. Typical causes: a typo (`sa/order` for `sa/orders`) or the wrong namespace. Only principals',
    'written exactly (no `*`, except a `*` standing for the whole trust domain, `*/ns/<ns>/sa/<account>`, or the whole account, `<td>/ns/<ns>/sa/*`, whose namespace is then checked) in the trust domain of the mesh, one of its aliases, or `cluster.local` (which Istio reads as the local trust domain) are checked, and only for',
    'namespaces whose workloads are in the input, except that a namespace nothing in the input belongs to, one edit',
    '(two for names of six letters or more) from a namespace running that account, is reported as a likely typo, unless the two',
    'look like sibling namespaces (`team-a` / `team-b`, `app1` / `app2`). Conditions on `source.principal` (`when`)',
    'count as principals, and a principal written with `spiffe://` never matches (Istio prefixes it again). A principal of',
    'another trust domain naming an account a meshed workload of the input runs as, with no principal of the policy',
    'naming that account in the mesh\'s trust domain, is reported too: Istio keeps it as written',
    '(trustdomain.Bundle.ReplaceTrustDomainAliases), and that workload presents the mesh trust domain.',
    'Service accounts (`source.serviceAccounts`, `notServiceAccounts`, conditions on `source.serviceAccount`;',
    '`<namespace>/<name>`, or `<name>` in the policy\'s namespace) are checked the same way.',
    'Exclusions (`notPrincipals`, `notValues` on `source.principal`) are checked too: one that matches nobody excludes',
    'nobody, so an ALLOW rule still admits (and a DENY rule still blocks) the callers it was meant to leave out.',
    'A Gateway API Gateway counts as running as the service account istiod deploys it with (`<name>-<class>`, e.g.',
    '`web-istio`; `<name>` for waypoints; or its `gateway.istio.io/service-account` annotation).',
    'A source namespace (`namespaces`, `notNamespaces`, a `source.namespace` condition) is read from the same',
    'certificate: when every workload of that namespace in the input runs without a proxy (no injection; a namespace',
    'holding a Gateway API Gateway excepted), its calls carry no namespace and the entry never matches them.',
    'Fix the principal or the workload\'s `serviceAccountName`; inject sidecars into the calling namespace.',
  ].join(' '),
  kinds: ['AuthorizationPolicy', 'ServiceAccount', 'Namespace', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry'],
  check(graph, ctx) {
    const policies = graph.ofKind('AuthorizationPolicy');
    if (policies.length === 0) return;
    // Istio (trustdomain.Bundle.ReplaceTrustDomainAliases) treats `cluster.local` in a principal as the local trust domain.
    const domains = new Set([graph.trustDomain, ...graph.meshConfig.trustDomainAliases, 'cluster.local']);
    const identities = identitiesOf(graph);
    const namespaces = new Set(graph.namespaces());
    for (const ap of policies) {
      for (const { principal, path, negated, label, suggest } of principalsOf(ap)) {
        if (principal.startsWith('spiffe://')) {
          ctx.report(ap, `Principal "${principal}" starts with spiffe://, which Istio adds itself (it matches "spiffe://${principal}"), so it never matches; ` +
            `write "${principal.slice('spiffe://'.length)}"`, { path });
          continue;
        }
        const m = PRINCIPAL.exec(principal);
        if (!m) continue;
        if (m[1] !== '*' && !domains.has(m[1]!)) {
          const foreign = otherTrustDomain(graph, identities, domains, principalsOf(ap), m[1]!, m[2]!, m[3]!);
          if (foreign) {
            ctx.report(ap, `${label} names trust domain ${m[1]}, but ${foreign.runner} runs as ${m[2]}/${m[3]} and presents ${graph.trustDomain}/ns/${m[2]}/sa/${m[3]} ` +
              `(${trustDomainSource(graph)}): Istio keeps a principal of another trust domain as written ` +
              `(it matches only callers of that trust domain), so ${effectOf(negated)}; write "${suggest(graph.trustDomain, m[2]!, m[3]!)}", or, if ${m[1]} is this mesh's trust domain, ` +
              `${graph.meshConfigAssumed ? `tell meshproof: add the istio ConfigMap (data.mesh: "trustDomain: ${m[1]}") to the input or pass --mesh-config` : 'set MeshConfig trustDomain (trustDomainAliases for a former one)'}`, { path });
          }
          continue;
        }
        const [, , ns, sa] = m as unknown as [string, string, string, string];
        const known = identities.get(ns);
        if (!known || known.runAs.size === 0) {
          // Nothing at all of this namespace is in the input, but a namespace spelt nearly the same runs the account: a typo.
          const runs = (e: NamespaceIdentities) => (sa === '*' ? e.runAs.size > 0 : e.runAs.has(sa) || e.accounts.has(sa));
          const near = namespaces.has(ns) ? undefined : closest(ns, [...identities].filter(([, e]) => runs(e)).map(([n]) => n));
          if (near !== undefined && editDistance(ns, near) <= (ns.length >= 6 ? 2 : 1) && !siblingNamespaces(ns, near)) {
            const there = sa === '*' ? `namespace ${near} runs workloads` : `service account ${sa} exists in namespace ${near}`;
            ctx.report(ap, `${label} names namespace ${ns}, which nothing in the input belongs to, while ${there}; ` +
              `if ${ns} is a typo ${effectOf(negated)}: did you mean "${suggest(m[1]!, near, sa)}"? (If ${ns} is a namespace kept outside this input, pass it with --context.)`, { path });
          }
          continue;
        }
        if (sa === '*') continue; // every account of a namespace whose workloads are in the input
        const runners = known.runAs.get(sa) ?? [];
        if (runners.length === 0) {
          if (known.accounts.has(sa)) continue; // declared; its workloads may be deployed from elsewhere
          const others = [...known.runAs.keys()].sort();
          const near = closest(sa, [...others, ...known.accounts]);
          const hint = near !== undefined && editDistance(sa, near) <= Math.max(2, Math.floor(sa.length / 3)) ? ` (did you mean "${suggest(m[1]!, ns, near)}"?)` : '';
          ctx.report(ap, `${label} names service account ${sa}, but no workload in namespace ${ns} runs as it (they run as ${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''}` +
            `${known.accounts.size > 0 ? `; declared accounts: ${[...known.accounts].sort().slice(0, 5).join(', ')}` : ''}); ` +
            `${effectOf(negated)}: fix the principal${hint} or the workload's serviceAccountName`, { path });
          continue;
        }
        if (runners.some((w) => { const d = graph.membershipOf(w); return d.meshed || d.dataplane === 'unknown'; })) continue;
        ctx.report(ap, `${label} names service account ${sa}, but the workloads running as it have no proxy to present that identity (${runners[0]!.kind} ${ns}/${runners[0]!.name}: ${graph.membershipOf(runners[0]!).reason}); ` +
          `${effectOf(negated)}: inject a sidecar into the caller, or match it another way`, { path });
      }
      for (const { namespace: ns, path, negated, label } of namespacesOf(ap)) {
        const runners = [...(identities.get(ns)?.runAs.values() ?? [])].flat();
        if (runners.length === 0 || gatewayApiOf(graph).ofKind('Gateway').some((gw) => gw.namespace === ns)) continue;
        if (runners.some((w) => { const d = graph.membershipOf(w); return d.meshed || d.dataplane === 'unknown'; })) continue;
        ctx.report(ap, `${label} is read from the caller's mTLS certificate, but no workload of namespace ${ns} has a proxy to present one ` +
          `(${runners[0]!.kind} ${ns}/${runners[0]!.name}: ${graph.membershipOf(runners[0]!).reason}); their calls arrive as plaintext without a namespace, so ` +
          `${effectOf(negated)}: inject sidecars into ${ns}, or match its callers another way (ipBlocks)`, { path });
      }
    }
  },
};

/**
 * Where the mesh trust domain came from, for messages: MeshConfig as given, Istio's default as given (a
 * MeshConfig without trustDomain), or assumed because no MeshConfig was given at all.
 */
export function trustDomainSource(graph: MeshGraph): string {
  if (graph.meshConfigAssumed) return `assumed: no MeshConfig applies (no --mesh-config, no istio ConfigMap in the input), so Istio's default trust domain ${graph.trustDomain}`;
  return `MeshConfig trustDomain${graph.trustDomain === 'cluster.local' ? ", Istio's default" : ''}`;
}

/**
 * For a principal `<td>/ns/<ns>/sa/<sa>` whose trust domain is not the mesh's (nor an alias, nor `cluster.local`):
 * the workload of the input that runs as `<ns>/<sa>` with a proxy, when no principal of the same policy names that
 * account in a trust domain of the mesh (a policy naming it in several trust domains admits callers of other
 * meshes on purpose); else undefined.
 */
function otherTrustDomain(graph: MeshGraph, identities: ReadonlyMap<string, NamespaceIdentities>, domains: ReadonlySet<string>,
  all: readonly NamedIdentity[], td: string, ns: string, sa: string): { runner: string } | undefined {
  if (td.includes('*') || ns.includes('*') || sa.includes('*')) return undefined;
  const runners = identities.get(ns)?.runAs.get(sa) ?? [];
  const meshed = runners.find((w) => { const d = graph.membershipOf(w); return d.meshed || d.dataplane === 'unknown'; });
  if (!meshed) return undefined;
  const local = all.some((o) => {
    const x = PRINCIPAL.exec(o.principal);
    return x !== null && (x[1] === '*' || domains.has(x[1]!)) && x[2] === ns && (x[3] === sa || x[3] === '*');
  });
  return local ? undefined : { runner: `${meshed.kind} ${meshed.namespace}/${meshed.name}` };
}

/** The exact source namespaces of a policy: `namespaces`, `notNamespaces` and `source.namespace` conditions. */
function namespacesOf(ap: MeshObject): { namespace: string; path: FieldPath; negated: boolean; label: string }[] {
  const out: { namespace: string; path: FieldPath; negated: boolean; label: string }[] = [];
  (Array.isArray(ap.spec.rules) ? ap.spec.rules : []).forEach((rule, i) => {
    if (!isRecord(rule)) return;
    (Array.isArray(rule.from) ? rule.from : []).forEach((from, j) => {
      const source = isRecord(from) && isRecord(from.source) ? from.source : undefined;
      for (const field of ['namespaces', 'notNamespaces'] as const) {
        (stringList(source?.[field]) ?? []).forEach((v, k) => {
          if (!v.includes('*')) out.push({ namespace: v, path: ['spec', 'rules', i, 'from', j, 'source', field, k], negated: field === 'notNamespaces', label: `Namespace "${v}" (in ${field})` });
        });
      }
    });
    (Array.isArray(rule.when) ? rule.when : []).forEach((cond, j) => {
      if (!isRecord(cond) || cond.key !== 'source.namespace') return;
      for (const field of ['values', 'notValues'] as const) {
        (stringList(cond[field]) ?? []).forEach((v, k) => {
          if (!v.includes('*')) out.push({ namespace: v, path: ['spec', 'rules', i, 'when', j, field, k], negated: field === 'notValues', label: `Namespace "${v}" (source.namespace condition)` });
        });
      }
    });
  });
  return out;
}

export default principalNotFound;

/**
 * Whether two namespace names look like siblings rather than a typo of each other: the same name
 * with another numeric suffix (`app1` / `app2`) or another short last part after a separator
 * (`team-a` / `team-b`, `ns-eu` / `ns-us`). Teams name namespaces so, and callers from a sibling
 * namespace are the ordinary use of a principal.
 */
export function siblingNamespaces(a: string, b: string): boolean {
  const stem = (n: string) => n.replace(/\d+$/, '');
  if (a !== b && /\d$/.test(a) && /\d$/.test(b) && stem(a) === stem(b)) return true;
  const cut = (n: string) => Math.max(n.lastIndexOf('-'), n.lastIndexOf('.'), n.lastIndexOf('_'));
  const ia = cut(a);
  const ib = cut(b);
  if (ia <= 0 || ib <= 0 || a.slice(0, ia) !== b.slice(0, ib)) return false;
  return a.length - ia - 1 <= 3 && b.length - ib - 1 <= 3;
}
