/**
 * What a graph built on its predecessor (`GraphOptions.previous`, as `xds serve` reloads) keeps of
 * it: the objects whose source did not change (the same `MeshObject`, so everything keyed on the
 * object stays valid), and, when the only objects that changed are VirtualServices,
 * DestinationRules, Services, ServiceEntries and pod workloads, the predecessor's indexes and the view's per-graph caches
 * that the changes do not reach. istiod does the same on a push: a config change rebuilds only the
 * PushContext indexes of its kind (`PushContext.updateContext`: `virtualServiceIndex` for a
 * VirtualService; services, DestinationRules, Sidecars and policies copied from the old context),
 * and the SidecarScope keeps what the changed configs do not reach.
 *
 * An object is KEPT (the predecessor's object stands for it) when it comes from the same file,
 * document and List item, starts at the same line and column, has the same source text
 * (`MeshObject.span`: equal text and start give equal positions for every field, so equal origins)
 * and the same TypeScript origin. Objects without a span (built in code, not read from text) are
 * never kept.
 *
 * An object is MOVED when it is not kept but has the same content: the same kind, API version and
 * key, and the same source text or, failing that (a List whose other items changed, a restyle), an
 * equal body. cdk8s writes one file per chart, so an edit that adds or removes lines moves every
 * later document of the file: without this, every one of them would count as changed. A moved
 * object is the NEW `MeshObject` (findings and origins need its new file, line, document and
 * TypeScript origin); what its position reaches decides how the view base treats it
 * ({@link movedRole}):
 * - VirtualServices and DestinationRules: their origins are in the route and cluster views a view
 *   base shares per host (proofs read their lines there): they count as changed (the hosts they
 *   name get new views, with the new lines), exactly like an edit. Their translations are not made
 *   again: Envoy metadata names no line, and the translations' carry-over fingerprints print origins
 *   without positions (`xds/translate/carry-over.ts`), so a moved one's virtual hosts and clusters
 *   are found by content, packed bytes included. A WorkloadEntry (an endpoint origin inside
 *   the ServiceEntry cluster views the workload index feeds) counts as changed too, which costs the
 *   view base as an edit of one does.
 * - Services and ServiceEntries: their origin is in their service view, their default routes, the
 *   inbound cluster metadata and ServiceEntry endpoints. The graph rebuilds its service index with
 *   the predecessor's `ServiceInfo` for every object it kept and a new one for a moved object, so
 *   every per-service value of the moved service is made again (keyed on the `ServiceInfo`), and
 *   the view counts its hosts as touched (routes and cluster views that read them are rebuilt:
 *   `view/carry.ts`).
 * - Pod workloads: their position reaches only their own proxy's identity and membership evidence,
 *   both per graph; what services derive from them (data plane, service accounts) reads labels,
 *   namespace and template, all equal. The workload index is rebuilt (new `Workload`s for the
 *   moved objects), nothing the view shares is touched.
 * - Sidecars, PeerAuthentications and AuthorizationPolicies: read per proxy (inbound, scope), never
 *   through a shared view; the policy index is rebuilt. Its answers depend on input order (the
 *   first namespace-wide PeerAuthentication wins), which the shared per-namespace mTLS modes read:
 *   a move that changes the order of these kinds counts as a change of them (no view base).
 * - Namespaces: they decide memberships, whose evidence points at them; memberships are then not
 *   copied from the predecessor.
 * - Gateway API Gateways: the Deployment and Service istiod creates with one (`gateway-api-deployment.ts`,
 *   `gateway-api-service.ts`) are located at it, and are a workload and a service: a moved one counts as changed
 *   (no view base, as for an edit of it).
 * - Every other kind (Istio Gateways, the `istio` ConfigMap, kinds meshproof does not model): read only
 *   per graph, never through what a view base shares.
 * A POSITION-FREE graph (`GraphOptions.positionFree`: `xds serve`, whose views are read only by the
 * xDS translation, which prints origins without lines) keeps the predecessor's object for a moved
 * VirtualService, DestinationRule, WorkloadEntry, ServiceEntry or Service whose manifest file and
 * TypeScript construct path and files are unchanged ({@link standsInPositionFree}): everything
 * the view shares stays, as for an unchanged object; only the lines it holds are stale.
 * The alternative, origins relative to their document and shifted when read, would have made every
 * shared view object position-free, but the view's origins are read as file:line by findings and
 * proofs, and a shared object cannot hold two graphs' lines: moved objects are new objects, and the
 * view objects that hold their positions are rebuilt (their translations, which hold none, are not).
 */
import type { MeshObject } from './object.js';
import { POD_WORKLOAD_KINDS } from './workloads.js';
import { GATEWAY_API_GROUP } from './kinds.js';

/** An object whose content is unchanged but whose position (file, document, item, line, column or TypeScript origin) is not. */
export interface MovedObject {
  /** The predecessor's object. */
  readonly previous: MeshObject;
  /** The new input's object (the one the new graph holds). */
  readonly next: MeshObject;
}

/** The objects of a new graph with its predecessor's unchanged ones in their place, and what changed. */
export interface KeptObjects {
  /** The new graph's objects, input order: the predecessor's object wherever it is unchanged. */
  readonly objects: readonly MeshObject[];
  /** Objects of either graph that are not in both and not moved: new or edited ones, and removed or replaced ones of the predecessor. */
  readonly changed: readonly MeshObject[];
  /** Objects whose content is unchanged but that moved (see the module comment), input order. */
  readonly moved: readonly MovedObject[];
  /** How many of `objects` are the predecessor's. */
  readonly kept: number;
}

/** Whether `a` (of the predecessor) can stand for `b` (of the new input): see the module comment. */
export function sameSource(a: MeshObject, b: MeshObject): boolean {
  return a.span !== undefined && a.span === b.span && a.file === b.file && a.docIndex === b.docIndex && a.itemIndex === b.itemIndex
    && a.location.line === b.location.line && a.location.column === b.location.column && a.location.file === b.location.file
    && sameContent(a, b) && sameOrigin(a.source, b.source);
}

/**
 * Whether `a` and `b`, both read from text, have the same content whatever their positions: same
 * kind, API version, key and modelling, and the same document text (same List item) or an equal
 * body ({@link sameValue}: key order included, a reordered mapping counts as an edit).
 */
export function sameContent(a: MeshObject, b: MeshObject): boolean {
  if (a.span === undefined || b.span === undefined) return false;
  if (a.kind !== b.kind || a.apiVersion !== b.apiVersion || a.key !== b.key || a.known !== b.known) return false;
  return (a.span === b.span && a.itemIndex === b.itemIndex) || sameValue(a.body, b.body);
}

/**
 * Deep equality of parsed YAML values, mapping key order included. Not JSON text: JSON prints
 * `.inf`, `.nan` and `null` alike (and `-0` as `0`), so an edit between them would pass for a move
 * and a position-free graph would keep the predecessor's object, old value and all.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => sameValue(x, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function sameOrigin(a: MeshObject['source'], b: MeshObject['source']): boolean {
  if (a === null || b === null) return a === b;
  return a.constructPath === b.constructPath && a.file === b.file && a.line === b.line && JSON.stringify(a.fields ?? null) === JSON.stringify(b.fields ?? null);
}

/**
 * `objects` with every object that has an unchanged predecessor (same `kind/namespace/name`, see
 * {@link sameSource}) replaced by it; then the objects left whose content a predecessor left has
 * ({@link sameContent}) are moved. Each predecessor stands in, or moves, at most once (a duplicate
 * key keeps its own object).
 */
export function keepUnchanged(objects: readonly MeshObject[], previous: readonly MeshObject[], positionFree = false): KeptObjects {
  const byKey = new Map<string, MeshObject[]>();
  for (const o of previous) {
    const list = byKey.get(o.key);
    if (list) list.push(o);
    else byKey.set(o.key, [o]);
  }
  const used = new Set<MeshObject>();
  const unmatched: number[] = [];
  const out = objects.map((o, i) => {
    const p = byKey.get(o.key)?.find((c) => !used.has(c) && sameSource(c, o));
    if (p === undefined) {
      unmatched.push(i);
      return o;
    }
    used.add(p);
    return p;
  });
  const changed: MeshObject[] = [];
  const moved: MovedObject[] = [];
  for (const i of unmatched) {
    const o = objects[i]!;
    const p = byKey.get(o.key)?.find((c) => !used.has(c) && sameContent(c, o));
    if (p === undefined) changed.push(o);
    else {
      used.add(p);
      if (positionFree && standsInPositionFree(p, o)) out[i] = p;
      else moved.push({ previous: p, next: o });
    }
  }
  for (const p of previous) if (!used.has(p)) changed.push(p);
  return { objects: out, changed, moved, kept: used.size - moved.length };
}

/** The kinds a position-free graph keeps when they only moved: those whose origins the shared views hold. */
const POSITION_FREE_KINDS = new Set(['VirtualService', 'DestinationRule', 'WorkloadEntry', 'ServiceEntry']);

/**
 * Whether, in a position-free graph (`GraphOptions.positionFree`), the predecessor's `a` stands for
 * the moved `b`: a VirtualService, DestinationRule, WorkloadEntry, ServiceEntry or Service of the
 * same manifest file and, when from cdk8s, the same construct path and TypeScript files. What is
 * read of its position then (an origin's manifest file, construct path and TypeScript file, as the
 * xDS translators print origins: `originJson`) is the same, only its lines are not.
 */
function standsInPositionFree(a: MeshObject, b: MeshObject): boolean {
  if (!a.known || !(POSITION_FREE_KINDS.has(a.kind) ? a.group === 'networking.istio.io' : a.kind === 'Service' && a.group === '')) return false;
  if (a.file !== b.file || a.location.file !== b.location.file) return false;
  if (a.source === null || b.source === null) return a.source === b.source;
  if (a.source.constructPath !== b.source.constructPath || a.source.file !== b.source.file) return false;
  const fa = a.source.fields ?? {};
  const fb = b.source.fields ?? {};
  const keys = Object.keys(fa);
  return keys.length === Object.keys(fb).length && keys.every((k) => fb[k]?.file === fa[k]!.file);
}

/**
 * How the view base treats a moved object of this kind (see the module comment): `changed` (as an
 * edit), `services` (index rebuilt, hosts touched), `workloads` (index rebuilt), `policies` (index
 * rebuilt, order checked), `namespaces` (memberships made again), `none` (nothing shared reads it).
 */
export type MovedRole = 'changed' | 'services' | 'workloads' | 'policies' | 'namespaces' | 'none';

const ISTIO_NETWORKING = 'networking.istio.io';
const ISTIO_SECURITY = 'security.istio.io';

/** {@link MovedRole} of a moved object. */
export function movedRole(o: MeshObject): MovedRole {
  if (!o.known) return 'none';
  if (o.group === ISTIO_NETWORKING && (o.kind === 'VirtualService' || o.kind === 'DestinationRule' || o.kind === 'WorkloadEntry')) return 'changed';
  if (o.group === GATEWAY_API_GROUP && o.kind === 'Gateway') return 'changed';
  if (o.kind === 'Service' || (o.kind === 'ServiceEntry' && o.group === ISTIO_NETWORKING)) return 'services';
  if (POD_WORKLOAD_KINDS.has(o.kind)) return 'workloads';
  if ((o.kind === 'Sidecar' && o.group === ISTIO_NETWORKING) || ((o.kind === 'PeerAuthentication' || o.kind === 'AuthorizationPolicy') && o.group === ISTIO_SECURITY)) return 'policies';
  if (o.kind === 'Namespace') return 'namespaces';
  return 'none';
}

/** Whether two lists hold the same objects in the same order. */
export function sameObjects(a: readonly MeshObject[], b: readonly MeshObject[]): boolean {
  return a.length === b.length && a.every((o, i) => o === b[i]);
}
