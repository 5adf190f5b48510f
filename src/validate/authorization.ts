/**
 * What an Istio AuthorizationPolicy rule matches, decided on plain data (the `spec.rules[]` entry
 * as YAML has it: `{ from: [{ source }], to: [{ operation }], when }`). One definition shared by
 * the `AllowPolicy` construct guard and the `security/allow-everything` check rule.
 *
 * Istio matches a rule when one `from` entry, one `to` entry and every `when` condition match;
 * inside an entry the fields are ANDed and the values of one field are ORed; an absent part
 * matches everything (istio/api security/v1/authorization_policy.proto).
 */

/** One field of a `source` or `operation` that does not narrow the rule, and why. */
export interface OpenField {
  /** Where, relative to the rule: `from[1].source.namespaces`. */
  readonly path: string;
  /** The field's values as written. */
  readonly values: readonly string[];
  /** `wildcard`: a value matching anything; `exclusion`: a not* field over an unbounded set; `all-ports`: ports listing every container port. */
  readonly kind: 'wildcard' | 'exclusion' | 'all-ports';
}

/** Why a rule matches every request. */
export interface MatchesEverything {
  /** A phrase for messages, e.g. `uses only wildcards` or `has no from, to or when`. */
  readonly because: string;
  /** The fields that looked like restrictions but are not; empty for a rule with nothing in it. */
  readonly fields: readonly OpenField[];
}

/** What is known about the workloads the policy applies to. */
export interface RuleContext {
  /**
   * The container ports of every workload the policy selects, or undefined when unknown (no
   * workload found, or one declares no ports). Called only when the answer depends on it.
   */
  readonly workloadPorts?: () => readonly number[] | undefined;
  /**
   * The mesh's trust domain and its aliases (MeshConfig `trustDomain`, `trustDomainAliases`):
   * principals are `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`, so `"<trustDomain>/*"`
   * admits every workload of the mesh as `"*"` does. @default ['cluster.local'] (Istio's default)
   */
  readonly trustDomains?: readonly string[];
}

/**
 * Whether the principal pattern `value` matches every workload identity of the trust domains,
 * as Istio compiles it (pilot/pkg/security/authz/matcher/string.go, `StringMatcherWithPrefix`
 * with prefix `spiffe://`): `*` matches any principal; `X*` is a prefix match on `X`, so it
 * covers every `<td>/ns/<ns>/sa/<sa>` when `X` is a prefix of `<td>/ns/` (`cluster.local/*`,
 * `cluster.local/ns/*`, `cluster.local*`); `*X` is a suffix (regex `spiffe://.*X`) match, which
 * no suffix but the empty one gives every service account. So the pattern "every namespace, every
 * service account" written with a leading `*` (star, "/ns/", star, "/sa/", star) is not a wildcard:
 * Istio pastes the rest verbatim into the regex, where "/" plus star means "any number of
 * slashes", and it matches no real principal.
 */
export function principalMatchesEveryWorkload(value: string, trustDomains: readonly string[] = ['cluster.local']): boolean {
  if (value === '*') return true;
  if (value.startsWith('*') || !value.endsWith('*')) return false;
  const prefix = value.slice(0, -1);
  return trustDomains.some((td) => `${td}/ns/`.startsWith(prefix));
}

/**
 * Source fields whose values match any peer: `*` (principals and namespaces need mTLS, which
 * STRICT mode gives every caller, so they admit everyone), or IP blocks covering every address.
 */
const SOURCE_WILDCARD: Readonly<Record<string, (values: readonly string[], ctx: RuleContext) => boolean>> = {
  principals: (v, ctx) => v.some((p) => principalMatchesEveryWorkload(p, ctx.trustDomains)),
  requestPrincipals: (v) => v.includes('*'),
  namespaces: (v) => v.includes('*'),
  ipBlocks: (v) => ipBlocksCoverAll(v),
  remoteIpBlocks: (v) => ipBlocksCoverAll(v),
};

/** Operation fields whose values match any request. `/*` is the prefix `/`, which every path has. */
const OPERATION_WILDCARD: Readonly<Record<string, (values: readonly string[]) => boolean>> = {
  methods: (v) => v.includes('*'),
  paths: (v) => v.includes('*') || v.includes('/*'),
  hosts: (v) => v.includes('*'),
};

/**
 * Exclusions over sets without bound (identities, addresses, paths, host names): an entry that
 * only excludes some of them still admits every other caller or request, which is "allow
 * everything" with a denylist, the job of a DENY policy. Exclusions over small closed sets
 * (`notNamespaces`, `notMethods`, `notPorts`) count as real restrictions. An exclusion of every
 * address matches nothing, so it restricts.
 */
const SOURCE_EXCLUSION: Readonly<Record<string, (values: readonly string[], ctx: RuleContext) => boolean>> = {
  notPrincipals: (v, ctx) => !v.some((p) => principalMatchesEveryWorkload(p, ctx.trustDomains)),
  notRequestPrincipals: (v) => !v.includes('*'),
  notIpBlocks: (v) => !coversAllOf(v, 4) || !coversAllOf(v, 6),
  notRemoteIpBlocks: (v) => !coversAllOf(v, 4) || !coversAllOf(v, 6),
};

const OPERATION_EXCLUSION: Readonly<Record<string, (values: readonly string[]) => boolean>> = {
  notPaths: (v) => !v.includes('*') && !v.includes('/*'),
  notHosts: (v) => !v.includes('*'),
};

/**
 * Decides whether an ALLOW rule matches every request to the workloads its policy selects, and
 * why. A `when` condition always counts as a restriction; so does any field this does not know.
 * @param rule one entry of `spec.rules`, as plain data; anything else matches nothing (null).
 * @returns null when the rule restricts requests.
 */
export function allowRuleMatchesEverything(rule: unknown, ctx: RuleContext = {}): MatchesEverything | null {
  if (!isRecord(rule)) return null;
  if (Array.isArray(rule.when) && rule.when.length > 0) return null;
  if (rule.when !== undefined && !Array.isArray(rule.when)) return null;
  const from = openEntry(rule.from, 'from', 'source', (f, v) => sourceField(f, v, ctx));
  if (from === null) return null;
  const to = openEntry(rule.to, 'to', 'operation', (f, v) => operationField(f, v, ctx));
  if (to === null) return null;
  const fields = [...from, ...to];
  return { because: describe(fields), fields };
}

type FieldVerdict = OpenField['kind'] | null;

/** The open fields of the first entry that does not narrow, [] for an absent list, null when every entry narrows. */
function openEntry(
  list: unknown, part: 'from' | 'to', key: 'source' | 'operation', classify: (field: string, values: readonly string[]) => FieldVerdict,
): OpenField[] | null {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return null;
  if (list.length === 0) return [];
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    if (!isRecord(entry)) continue;
    const body = entry[key];
    if (body === undefined || body === null) return [];
    if (!isRecord(body)) continue;
    const open: OpenField[] = [];
    let narrows = false;
    for (const field of Object.keys(body)) {
      const values = valuesOf(body[field]);
      if (values === null) {
        narrows = true;
        break;
      }
      if (values.length === 0) continue;
      const kind = classify(field, values);
      if (kind === null) {
        narrows = true;
        break;
      }
      open.push({ path: `${part}[${i}].${key}.${field}`, values, kind });
    }
    if (!narrows) return open;
  }
  return null;
}

function sourceField(field: string, values: readonly string[], ctx: RuleContext): FieldVerdict {
  if (Object.hasOwn(SOURCE_WILDCARD, field)) return SOURCE_WILDCARD[field]!(values, ctx) ? 'wildcard' : null;
  if (Object.hasOwn(SOURCE_EXCLUSION, field)) return SOURCE_EXCLUSION[field]!(values, ctx) ? 'exclusion' : null;
  return null;
}

function operationField(field: string, values: readonly string[], ctx: RuleContext): FieldVerdict {
  if (Object.hasOwn(OPERATION_WILDCARD, field)) return OPERATION_WILDCARD[field]!(values) ? 'wildcard' : null;
  if (Object.hasOwn(OPERATION_EXCLUSION, field)) return OPERATION_EXCLUSION[field]!(values) ? 'exclusion' : null;
  if (field === 'ports') {
    const ports = ctx.workloadPorts?.();
    if (ports === undefined || ports.length === 0) return null;
    const listed = new Set(values.map((v) => String(v).trim()));
    return ports.every((p) => listed.has(String(p))) ? 'all-ports' : null;
  }
  return null;
}

/** A field's values as strings (ports may be numbers); null when the shape is not a list of scalars. */
function valuesOf(v: unknown): string[] | null {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return null;
  const out: string[] = [];
  for (const x of v) {
    if (typeof x === 'string') out.push(x);
    else if (typeof x === 'number' && Number.isFinite(x)) out.push(String(x));
    else return null;
  }
  return out;
}

function describe(fields: readonly OpenField[]): string {
  if (fields.length === 0) return 'has no from, to or when';
  const kinds = new Set(fields.map((f) => f.kind));
  const parts: string[] = [];
  if (kinds.has('wildcard')) parts.push('uses only wildcards');
  if (kinds.has('exclusion')) {
    const names = [...new Set(fields.filter((f) => f.kind === 'exclusion').map((f) => f.path.slice(f.path.lastIndexOf('.') + 1)))];
    parts.push(`${parts.length > 0 ? 'and ' : ''}restricts only by exclusion (${names.join(', ')}), which admits everything not excluded`);
  }
  if (kinds.has('all-ports')) {
    const ports = fields.find((f) => f.kind === 'all-ports')!.values;
    parts.push(`${parts.length > 0 ? 'and ' : ''}lists in to.ports every container port of the selected workloads (${ports.join(', ')})`);
  }
  return parts.join(' ');
}

/** Renders the open fields for a message: `from[1].source.namespaces ["*"]; to[0].operation.paths ["/*"]`. */
export function describeOpenFields(fields: readonly OpenField[]): string {
  return fields.map((f) => `${f.path} ${JSON.stringify(f.values)}`).join('; ');
}

// ---------------------------------------------------------------------------------------------
// IP blocks

/** An address range parsed from an IP block: `family` 4 or 6, `[start, end]` inclusive. */
export interface IpRange {
  readonly family: 4 | 6;
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * Parses an AuthorizationPolicy IP block the way Istio does (pkg/config/security `ValidateIPs`, and
 * pilot/pkg/networking/util `AddrStrToPrefix` for RBAC: Go `netip.ParsePrefix` when the text has a `/`,
 * else `netip.ParseAddr`): an IPv4 or IPv6 address, optionally with a prefix length (0–32 or 0–128, no
 * leading zeros); no leading zeros in IPv4 octets. An IPv6 address alone may carry a zone
 * (`fe80::1%eth0`, any non-empty zone), which the range leaves out as istiod's `netip.PrefixFrom` does;
 * a prefix may not (`netip.ParsePrefix`: "IPv6 zones cannot be present in a prefix"). Host bits may be
 * set (`10.0.0.1/8` is the range 10.0.0.0/8).
 * @returns the range, or null when `text` is not an IP block.
 */
export function parseIpBlock(text: string): IpRange | null {
  if (typeof text !== 'string' || text.length === 0) return null;
  const slash = text.lastIndexOf('/');
  const zone = slash < 0 ? text.indexOf('%') : -1;
  if (zone === text.length - 1) return null;
  const addr = slash >= 0 ? text.slice(0, slash) : zone >= 0 ? text.slice(0, zone) : text;
  if (addr.length > 64) return null;
  const v4 = zone >= 0 ? null : parseIpv4(addr);
  const parsed = v4 !== null ? { family: 4 as const, value: v4, bits: 32 } : (() => {
    const v6 = parseIpv6(addr);
    return v6 === null ? null : { family: 6 as const, value: v6, bits: 128 };
  })();
  if (parsed === null) return null;
  let len = parsed.bits;
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(bits) || Number(bits) > parsed.bits) return null;
    len = Number(bits);
  }
  const hostBits = BigInt(parsed.bits - len);
  const start = (parsed.value >> hostBits) << hostBits;
  return { family: parsed.family, start, end: start + (1n << hostBits) - 1n };
}

/** True when the blocks together cover every IPv4 address or every IPv6 address. Invalid blocks are ignored. */
export function ipBlocksCoverAll(blocks: readonly string[]): boolean {
  return coversAllOf(blocks, 4) || coversAllOf(blocks, 6);
}

function coversAllOf(blocks: readonly string[], family: 4 | 6): boolean {
  const ranges = blocks.map(parseIpBlock).filter((r): r is IpRange => r !== null && r.family === family)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const max = family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n;
  let next = 0n;
  for (const r of ranges) {
    if (r.start > next) return false;
    if (r.end + 1n > next) next = r.end + 1n;
    if (next > max) return true;
  }
  return false;
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    value = (value << 8n) | BigInt(p);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  if (text.includes('%') || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  let value = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) value = (value << 16n) | BigInt(g);
  return value;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// Workloads

/**
 * Where each workload kind keeps its pod template (Kubernetes `apps/v1`, `batch/v1`, `v1`; Argo
 * Rollouts `argoproj.io/v1alpha1` Rollout): the one table the mesh model (src/mesh/workloads.ts)
 * reads too.
 */
export const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  Pod: [],
  Rollout: ['spec', 'template'],
};

/** A workload's pod labels and declared container ports, read from a plain manifest. */
export interface WorkloadPorts {
  readonly namespace: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  /** `containers[].ports[].containerPort`; empty when none is declared. */
  readonly ports: readonly number[];
}

/** The pod labels and container ports of a workload manifest, or null when it is not a workload kind. */
export function workloadPortsOf(manifest: unknown): WorkloadPorts | null {
  if (!isRecord(manifest) || typeof manifest.kind !== 'string' || !Object.hasOwn(TEMPLATE_PATHS, manifest.kind)) return null;
  let pod: unknown = manifest;
  for (const p of TEMPLATE_PATHS[manifest.kind]!) pod = isRecord(pod) ? pod[p] : undefined;
  if (!isRecord(pod)) return null;
  const meta = isRecord(pod.metadata) ? pod.metadata : {};
  const labels: Record<string, string> = {};
  if (isRecord(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) if (typeof v === 'string') labels[k] = v;
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const ports: number[] = [];
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) {
    for (const p of isRecord(c) && Array.isArray(c.ports) ? c.ports : []) {
      if (isRecord(p) && typeof p.containerPort === 'number') ports.push(p.containerPort);
    }
  }
  const ns = isRecord(manifest.metadata) && typeof manifest.metadata.namespace === 'string' ? manifest.metadata.namespace : undefined;
  return { namespace: ns, labels, ports };
}

/**
 * The container ports of every workload a policy applies to: `namespace` null for the root
 * namespace (every namespace), `selector` undefined for no selector (every workload).
 * @returns undefined when no workload is selected or one of them declares no port (then a
 * process may listen on any port, and no port list can be said to cover them all).
 */
export function selectedWorkloadPorts(
  workloads: Iterable<WorkloadPorts>, namespace: string | null, selector: Readonly<Record<string, string>> | undefined,
): number[] | undefined {
  const ports = new Set<number>();
  let found = false;
  for (const w of workloads) {
    if (namespace !== null && w.namespace !== namespace) continue;
    if (selector && !Object.keys(selector).every((k) => Object.hasOwn(w.labels, k) && w.labels[k] === selector[k])) continue;
    if (w.ports.length === 0) return undefined;
    found = true;
    for (const p of w.ports) ports.add(p);
  }
  return found ? [...ports].sort((a, b) => a - b) : undefined;
}
