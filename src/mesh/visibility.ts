/**
 * What a proxy can see: `exportTo` of each kind (with MeshConfig's defaults and the Service
 * annotation `networking.istio.io/exportTo`) and Sidecar `egress[].hosts` imports, as istiod's
 * PushContext and SidecarScope compute them. Malformed forms are problems, never guesses.
 */
import type { FieldPath } from './types.js';
import { hostMatches, hostsIntersect } from './hosts.js';
import type { MeshConfig } from './mesh-config.js';
import { isRecord, stringList, type MeshObject } from './object.js';

/** The annotation that sets a Kubernetes Service's exportTo (comma-separated). */
export const SERVICE_EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

/** An object's effective exportTo. */
export interface ExportTo {
  /** `*` (every namespace), `.` (own), `~` (none), or namespace names, as written or defaulted. */
  readonly values: readonly string[];
  /** Where the values come from. */
  readonly source: 'spec' | 'annotation' | 'mesh-default';
  /** Field path of the values (`['spec','exportTo']`, the annotation), or null for the mesh default. */
  readonly path: FieldPath | null;
}

/** A malformed exportTo or Sidecar egress host: where, what, and how to fix. */
export interface VisibilityProblem {
  readonly object: MeshObject;
  readonly path: FieldPath;
  readonly message: string;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/**
 * An exportTo entry Istio's webhook accepts as a namespace (visibility.Instance.Validate: labels.IsDNS1123Label,
 * whose pattern admits capitals). A capitalised entry passes the webhook but names no namespace that can exist.
 */
const WEBHOOK_LABEL = /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;

/** The MeshConfig default exportTo for a kind (`defaultServiceExportTo` …); `*` for kinds without one. */
export function defaultExportTo(kind: string, mc: MeshConfig): readonly string[] {
  if (kind === 'Service' || kind === 'ServiceEntry') return mc.defaultServiceExportTo;
  if (kind === 'VirtualService') return mc.defaultVirtualServiceExportTo;
  if (kind === 'DestinationRule') return mc.defaultDestinationRuleExportTo;
  return ['*'];
}

/** The exportTo in force for `o`: its own (spec or Service annotation), else the MeshConfig default for its kind. */
export function exportToOf(o: MeshObject, mc: MeshConfig): ExportTo {
  if (o.kind === 'Service') {
    const a = o.annotations[SERVICE_EXPORT_TO_ANNOTATION];
    const values = a?.split(',').map((s) => s.trim()).filter(Boolean);
    if (values && values.length > 0) return { values, source: 'annotation', path: ['metadata', 'annotations', SERVICE_EXPORT_TO_ANNOTATION] };
  } else {
    const values = stringList(o.spec.exportTo);
    if (values && values.length > 0) return { values, source: 'spec', path: ['spec', 'exportTo'] };
  }
  return { values: defaultExportTo(o.kind, mc), source: 'mesh-default', path: null };
}

/** Whether exportTo `values` of an object in `ownerNamespace` make it visible in `fromNamespace`. */
export function exportedTo(values: readonly string[], ownerNamespace: string, fromNamespace: string): boolean {
  for (const v of values) {
    if (v === '*') return true;
    if (v === '~') continue;
    if (v === '.' ? ownerNamespace === fromNamespace : v === fromNamespace) return true;
  }
  return false;
}

/**
 * Where a VirtualService visible in `fromNamespace` stands in istiod's list for that namespace's sidecars
 * (PushContext.VirtualServicesForGateway, model.SelectVirtualServices): 0 when it lives there and is not
 * exported to every namespace, 1 when another namespace exports it there by name, 2 when it is exported to
 * every namespace (`*`, MeshConfig default included in `values`). The first VirtualService for a host in that
 * order is applied (istiod drops the others' virtual hosts as duplicate domains); config order ranks only
 * within one tier, so a namespace's own scoped VirtualService overrides an older one exported everywhere.
 */
export function virtualServiceTier(values: readonly string[], ownerNamespace: string, fromNamespace: string): 0 | 1 | 2 {
  if (values.includes('*')) return 2;
  return ownerNamespace === fromNamespace ? 0 : 1;
}

/**
 * Malformed exportTo values (Istio `validateExportTo`, pkg/config/validation): bad names, `~` or `*`
 * mixed with others, duplicates (`.` and the own namespace's name are one entry), `~` written on any
 * kind but a ServiceEntry, and a DestinationRule with `workloadSelector` exported beyond its own
 * namespace. Empty for the MeshConfig default. The Service annotation is not validated by a webhook:
 * callers judging what the webhook refuses read only `source: 'spec'`.
 */
export function exportToProblems(o: MeshObject, exportTo: ExportTo): VisibilityProblem[] {
  if (exportTo.source === 'mesh-default' || exportTo.path === null) return [];
  const out: VisibilityProblem[] = [];
  const at = (i: number): FieldPath => (exportTo.source === 'spec' ? [...exportTo.path!, i] : exportTo.path!);
  const seen = new Map<string, string>();
  exportTo.values.forEach((v, i) => {
    if (v !== '*' && v !== '.' && v !== '~' && !WEBHOOK_LABEL.test(v)) {
      out.push({ object: o, path: at(i), message: `exportTo value "${v}" is not "*", ".", "~" or a namespace name. Fix: use a namespace name, "." for this namespace or "*" for all` });
    }
    const key = v === '.' ? o.namespace : v;
    const first = seen.get(key);
    if (first !== undefined) {
      const same = first === v ? '' : ` ("." is this ${o.kind}'s own namespace ${o.namespace}, so "${first}" and "${v}" are one entry)`;
      out.push({ object: o, path: at(i), message: `exportTo lists "${v}" twice${same}. Fix: remove the duplicate` });
    } else seen.set(key, v);
  });
  if (exportTo.values.length > 1 && exportTo.values.includes('~')) {
    out.push({ object: o, path: at(exportTo.values.indexOf('~')), message: 'exportTo "~" (no namespace) cannot be combined with other values. Fix: keep "~" alone, or remove it' });
  }
  if (exportTo.values.length > 1 && exportTo.values.includes('*')) {
    out.push({ object: o, path: at(exportTo.values.indexOf('*')), message: 'exportTo "*" (every namespace) cannot be combined with other values. Fix: keep "*" alone, or list the namespaces' });
  }
  if (exportTo.source === 'spec' && o.kind !== 'ServiceEntry' && exportTo.values.includes('~')) {
    out.push({ object: o, path: at(exportTo.values.indexOf('~')), message: `exportTo "~" (no namespace) is allowed only on a ServiceEntry, not on a ${o.kind} ("exportTo ~ (none) is not allowed for Istio configuration objects"). Fix: export it to "." (this namespace) or to the namespaces that need it` });
  }
  if (o.kind === 'DestinationRule' && isRecord(o.spec.workloadSelector)) {
    const keys = new Set(exportTo.values.map((v) => (v === '.' ? o.namespace : v)));
    if (!keys.has(o.namespace) || keys.size > 1) {
      out.push({ object: o, path: exportTo.path, message: `a DestinationRule with workloadSelector applies only to workloads of its own namespace ${o.namespace}, so exportTo [${exportTo.values.map((v) => `"${v}"`).join(', ')}] is refused ` +
        `("destination rule with workload selector cannot have ${keys.has(o.namespace) ? 'multiple entries in exportTo' : 'exportTo beyond current namespace'}"). Fix: set exportTo ["."] or remove it; for clients elsewhere write a DestinationRule in their namespace` });
    }
  }
  return out;
}

/** One Sidecar `egress[].hosts[]` entry, parsed. */
export interface EgressHost {
  /**
   * `*` any namespace, else a namespace name (`.` is resolved to the Sidecar's). For an exclusion
   * (`~ns/host`) the namespace after the `~`; a bare `~` is `*` (istiod's `excludePrefix`).
   */
  readonly namespace: string;
  /** The DNS name pattern (`*`, `*.example.com`, a FQDN), as written (istiod compares it case-sensitively). */
  readonly host: string;
  /**
   * True for `~<namespace>/<dnsName>`: the entry imports nothing and takes the hosts it covers out of
   * what the other entries of its listener import (`~/*` alone: the listener imports nothing).
   */
  readonly excluded: boolean;
  /** Index of the egress listener (`egress[i]`) the entry belongs to; exclusions act within it. @default 0 */
  readonly listener?: number;
  /** The entry as written. */
  readonly entry: string;
  readonly path: FieldPath;
}

/**
 * Parses `namespace/dnsName` as istiod does (`convertIstioListenerToWrapper`, validated by
 * `ValidateNamespaceSlashWildcardHostname`): namespace `.` is the Sidecar's own, `*` any, else a
 * namespace name; any of them after `~` (`~ns/x`, `~./x`, `~*` then `/x`, and a bare `~/x` for
 * every namespace) excludes the hosts instead of importing them. Returns a message for malformed entries.
 */
export function parseEgressHost(entry: string, sidecarNamespace: string, path: FieldPath = [], listener?: number): EgressHost | { readonly error: string } {
  const parts = entry.split('/');
  const fix = 'Fix: write "namespace/host", e.g. "./*", "istio-system/*" or "*/api.example.com" ("~ns/*" or "~/host" to exclude)';
  if (parts.length !== 2) return { error: `egress host "${entry}" must be "namespace/dnsName" with exactly one "/". ${fix}` };
  const [written, host] = parts as [string, string];
  if (written === '') return { error: `egress host "${entry}" has an empty namespace. ${fix}` };
  const excluded = written.startsWith('~');
  const ns = excluded ? written.slice(1) : written;
  if (!(excluded && ns === '') && ns !== '*' && ns !== '.' && !NAMESPACE.test(ns)) {
    return { error: `egress host "${entry}": "${ns}" is not "*", ".", or a namespace name${excluded ? ' (after the "~" that excludes)' : ''}. ${fix}` };
  }
  const h = host.toLowerCase();
  if (h === '') return { error: `egress host "${entry}" has an empty host; use "${written}/*" for every host. ${fix}` };
  if (h !== '*') {
    const labels = (h.startsWith('*.') ? h.slice(2) : h).split('.');
    if (labels.some((l) => !/^[a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?$/.test(l))) {
      return { error: `egress host "${entry}": "${host}" is not a DNS name (a wildcard may only be the whole first label, "*.example.com"). ${fix}` };
    }
  }
  const namespace = ns === '' ? '*' : ns === '.' ? sidecarNamespace : ns;
  // Kept as written: istiod imports hosts by case-sensitive comparison (sidecar.go hostClassification).
  return { namespace, host, excluded, ...(listener !== undefined ? { listener } : {}), entry, path };
}

/** The hosts one egress listener imports. */
export interface EgressListenerImports {
  /** `['spec','egress',i]`. */
  readonly path: FieldPath;
  /** `egress[i].port.number`, when the listener is bound to a port. */
  readonly port?: number;
  readonly hosts: readonly EgressHost[];
}

/**
 * Parses every egress listener of a Sidecar; malformed hosts become problems and import nothing.
 * `configNamespace` is what `.` stands for: the namespace of the sidecars it configures (istiod
 * `convertIstioListenerToWrapper`; a root-namespace Sidecar's `./*` is each namespace's own).
 * @default the Sidecar's namespace
 */
export function sidecarEgress(sidecar: MeshObject, configNamespace: string = sidecar.namespace): { listeners: EgressListenerImports[]; problems: VisibilityProblem[] } {
  const listeners: EgressListenerImports[] = [];
  const problems: VisibilityProblem[] = [];
  const egress = Array.isArray(sidecar.spec.egress) ? sidecar.spec.egress : [];
  egress.forEach((l, i) => {
    if (!isRecord(l)) return;
    const hosts: EgressHost[] = [];
    (Array.isArray(l.hosts) ? l.hosts : []).forEach((entry, j) => {
      const path: FieldPath = ['spec', 'egress', i, 'hosts', j];
      if (typeof entry !== 'string') {
        problems.push({ object: sidecar, path, message: `egress host must be a string "namespace/host"; got ${JSON.stringify(entry)}` });
        return;
      }
      const parsed = parseEgressHost(entry, configNamespace, path, i);
      if ('error' in parsed) problems.push({ object: sidecar, path, message: parsed.error });
      else hosts.push(parsed);
    });
    const port = isRecord(l.port) && typeof l.port.number === 'number' ? l.port.number : undefined;
    listeners.push({ path: ['spec', 'egress', i], ...(port !== undefined ? { port } : {}), hosts });
  });
  return { listeners, problems };
}

/**
 * The egress host entry that imports `host` of an object in `namespace`, or undefined: an entry of
 * that namespace (or `*`) whose host intersects, unless an exclusion of the same listener, in that
 * namespace or `*`, covers `host` (istiod `hostClassification.Excluded`: `host` is a subset of the
 * excluded pattern, so `~/*.example.com` drops `a.example.com`, not `*`).
 */
export function importingEntry(hosts: readonly EgressHost[], namespace: string, h: string): EgressHost | undefined {
  const applies = (e: EgressHost) => e.namespace === '*' || e.namespace === namespace;
  const excludedIn = new Set<number>();
  for (const e of hosts) if (e.excluded && applies(e) && hostMatches(e.host, h)) excludedIn.add(e.listener ?? 0);
  return hosts.find((e) => !e.excluded && applies(e) && !excludedIn.has(e.listener ?? 0) && hostsIntersect(e.host, h));
}
