/**
 * The proxy's `/config_dump`, as Envoy's admin `ConfigDumpHandler` serves it
 * (source/server/admin/config_dump_handler.cc):
 * - no parameter: every config dump (Bootstrap, Clusters, Listeners, Routes; Endpoints with
 *   `include_eds`), each typed `envoy.admin.v3.<Kind>ConfigDump`;
 * - `resource=<repeated field>`: one config per element of that field (`dynamic_active_clusters`,
 *   `dynamic_listeners`, `dynamic_route_configs`, `dynamic_endpoint_configs`), typed
 *   `envoy.admin.v3.<Kind>ConfigDump.<Element>`; an unknown field → 404, a field that is not
 *   repeated → 400;
 * - `mask=<path>[,<path>…]`: a FieldMask (proto field names, dotted paths). With `resource` it
 *   trims every element, and a path may go on into the element's one `google.protobuf.Any` field
 *   (`cluster.name,last_updated`: the Cluster's name inside `cluster`), an invalid path → 400
 *   `FieldMask … could not be successfully used.`. Without `resource` it trims each config dump
 *   and drops the dumps the mask does not fit; none fitting → 400. As protobuf's FieldMask, a path
 *   cannot index into a repeated field;
 * - `name_regex=<RE2>`: only resources whose name fully matches (clusters and listeners by name,
 *   route configurations by name, load assignments by `cluster_name`); an invalid regex → 400.
 * The dumps are proto-JSON with proto field names, as Envoy prints them.
 */
import { type DescMessage, type JsonObject, type JsonValue, toJson } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../xds/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../xds/gen/envoy/config/route/v3/route_pb.js';
import { TRANSLATE_REGISTRY } from '../../xds/translate/dump.js';
import type { ConfigStore } from '../config/config-store.js';

const JSON_OPTS = { registry: TRANSLATE_REGISTRY, useProtoFieldName: true } as const;
const ADMIN = 'type.googleapis.com/envoy.admin.v3';

/** What the dump reads from the proxy. */
export interface DumpSource {
  readonly nodeId: string;
  readonly store: ConfigStore;
}

/** The query of one `/config_dump` request. */
export interface DumpQuery {
  /** `include_eds`: add the EndpointsConfigDump. */
  readonly includeEds: boolean;
  /** `resource`: the repeated field whose elements become the configs. */
  readonly resource?: string | null;
  /** `mask`: comma-separated FieldMask paths. */
  readonly mask?: string | null;
  /** `name_regex`: an RE2 pattern every dumped resource name must fully match. */
  readonly nameRegex?: string | null;
}

/** The answer: 200 with the dump, or 400/404 with Envoy's text. */
export type DumpAnswer = { status: 200; body: JsonObject } | { status: 400 | 404; body: string };

// ---- the admin messages we emit (envoy/admin/v3/*.proto), enough to check a FieldMask ----

/** A field of an admin message: a leaf, a repeated field, a nested admin message, or the Any holding an xDS resource. */
type AdminField = 'leaf' | 'list' | { readonly fields: AdminFields } | { readonly any: DescMessage };
type AdminFields = Readonly<Record<string, AdminField>>;

const UPDATE_FAILURE_STATE: AdminField = { fields: { failed_configuration: 'leaf', last_update_attempt: 'leaf', details: 'leaf', version_info: 'leaf' } };
const NODE: AdminField = {
  fields: {
    id: 'leaf', cluster: 'leaf', metadata: 'leaf', dynamic_parameters: 'list', locality: 'leaf', user_agent_name: 'leaf', user_agent_version: 'leaf',
    user_agent_build_version: 'leaf', extensions: 'list', client_features: 'list', listening_addresses: 'list',
  },
};
const dynamicElement = (anyField: string, schema: DescMessage): AdminField => ({
  fields: { version_info: 'leaf', [anyField]: { any: schema }, last_updated: 'leaf', error_state: UPDATE_FAILURE_STATE, client_status: 'leaf' },
});
const LISTENER_STATE: AdminField = { fields: { version_info: 'leaf', listener: { any: ListenerSchema }, last_updated: 'leaf' } };

/** Each config dump: its type, its fields, and the element message of each repeated field `resource=` may name. */
const DUMPS = {
  BootstrapConfigDump: { fields: { bootstrap: { fields: { node: NODE } }, last_updated: 'leaf' } as AdminFields, elements: {} as Record<string, [string, AdminField]> },
  ClustersConfigDump: {
    fields: { version_info: 'leaf', static_clusters: 'list', dynamic_active_clusters: 'list', dynamic_warming_clusters: 'list' } as AdminFields,
    elements: { dynamic_active_clusters: ['DynamicCluster', dynamicElement('cluster', ClusterSchema)] } as Record<string, [string, AdminField]>,
  },
  ListenersConfigDump: {
    fields: { version_info: 'leaf', static_listeners: 'list', dynamic_listeners: 'list' } as AdminFields,
    elements: {
      dynamic_listeners: ['DynamicListener', { fields: { name: 'leaf', active_state: LISTENER_STATE, warming_state: LISTENER_STATE, draining_state: LISTENER_STATE, error_state: UPDATE_FAILURE_STATE, client_status: 'leaf' } }],
    } as Record<string, [string, AdminField]>,
  },
  RoutesConfigDump: {
    fields: { static_route_configs: 'list', dynamic_route_configs: 'list' } as AdminFields,
    elements: { dynamic_route_configs: ['DynamicRouteConfig', dynamicElement('route_config', RouteConfigurationSchema)] } as Record<string, [string, AdminField]>,
  },
  EndpointsConfigDump: {
    fields: { static_endpoint_configs: 'list', dynamic_endpoint_configs: 'list' } as AdminFields,
    elements: { dynamic_endpoint_configs: ['DynamicEndpointConfig', dynamicElement('endpoint_config', ClusterLoadAssignmentSchema)] } as Record<string, [string, AdminField]>,
  },
} as const;
type DumpKind = keyof typeof DUMPS;

/** The repeated fields `resource=` accepts, for error texts. */
export const RESOURCE_FIELDS: readonly string[] = Object.values(DUMPS).flatMap((d) => Object.keys(d.elements));

// ---- name_regex ----

/** `name_regex` as a full-match test; undefined or empty matches everything. Throws on a bad pattern. */
function nameMatcher(pattern: string | null | undefined): (name: string) => boolean {
  if (!pattern) return () => true;
  const re = new RegExp(`^(?:${pattern})$`, 'u');
  return (name) => re.test(name);
}

// ---- building the dumps ----

/** Every config dump, filtered by name. */
function dumps(src: DumpSource, includeEds: boolean, matches: (name: string) => boolean): { kind: DumpKind; body: JsonObject }[] {
  const ts = (d: Date) => d.toISOString();
  const s = src.store;
  const any = (schema: DescMessage, message: Parameters<typeof toJson>[1]): JsonObject => ({ '@type': `type.googleapis.com/${schema.typeName}`, ...(toJson(schema, message, JSON_OPTS) as JsonObject) });
  const out: { kind: DumpKind; body: JsonObject }[] = [
    { kind: 'BootstrapConfigDump', body: { bootstrap: { node: { id: src.nodeId, user_agent_name: 'meshproof-proxy' } } } },
    {
      kind: 'ClustersConfigDump',
      body: {
        version_info: s.versions.get('cluster') ?? '',
        dynamic_active_clusters: [...s.clusters.values()].filter((a) => matches(a.resource.name))
          .map((a) => ({ version_info: a.version, cluster: any(ClusterSchema, a.resource), last_updated: ts(a.lastUpdated) })),
      },
    },
    {
      kind: 'ListenersConfigDump',
      body: {
        version_info: s.versions.get('listener') ?? '',
        dynamic_listeners: [...s.listeners.values()].filter((a) => matches(a.resource.name))
          .map((a) => ({ name: a.resource.name, active_state: { version_info: a.version, listener: any(ListenerSchema, a.resource), last_updated: ts(a.lastUpdated) } })),
      },
    },
    {
      kind: 'RoutesConfigDump',
      body: {
        dynamic_route_configs: [...s.routes.values()].filter((a) => matches(a.resource.name))
          .map((a) => ({ version_info: a.version, route_config: any(RouteConfigurationSchema, a.resource), last_updated: ts(a.lastUpdated) })),
      },
    },
  ];
  if (includeEds) {
    out.push({
      kind: 'EndpointsConfigDump',
      body: {
        dynamic_endpoint_configs: [...s.endpoints.values()].filter((a) => matches(a.resource.clusterName))
          .map((a) => ({ version_info: a.version, endpoint_config: any(ClusterLoadAssignmentSchema, a.resource), last_updated: ts(a.lastUpdated) })),
      },
    });
  }
  return out;
}

/** `/config_dump` without parameters (and the base of the others): `{ configs: [...] }`. */
export function configDump(src: DumpSource, includeEds: boolean): JsonObject {
  return { configs: dumps(src, includeEds, () => true).map((d) => ({ '@type': `${ADMIN}.${d.kind}`, ...d.body })) };
}

/** Answers one `/config_dump` request (see the module comment). Never throws. */
export function answerConfigDump(src: DumpSource, q: DumpQuery): DumpAnswer {
  let matches: (name: string) => boolean;
  try {
    matches = nameMatcher(q.nameRegex);
  } catch (e) {
    // Envoy quotes the pattern as given, then the parser's reason; the anchored RegExp built from it
    // (`Invalid regular expression: /^(?:…)$/u: `) is ours, not the user's, so only its reason is kept.
    const reason = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return { status: 400, body: `Error while parsing name_regex from ${q.nameRegex}: ${reason}\n` };
  }
  const all = dumps(src, q.includeEds, matches);
  const paths = q.mask === null || q.mask === undefined ? undefined : q.mask.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (q.resource !== null && q.resource !== undefined) return resourceDump(all, q.resource, paths, q.mask ?? '');
  const configs: JsonObject[] = [];
  for (const d of all) {
    if (paths === undefined) {
      configs.push({ '@type': `${ADMIN}.${d.kind}`, ...d.body });
      continue;
    }
    // As Envoy: a mask that does not fit one kind of dump drops that dump, not the request.
    if (!paths.every((p) => validPath(DUMPS[d.kind].fields, p.split('.')))) continue;
    configs.push({ '@type': `${ADMIN}.${d.kind}`, ...trim(d.body, paths.map((p) => p.split('.'))) });
  }
  if (paths !== undefined && configs.length === 0) {
    return { status: 400, body: `FieldMask ${q.mask} could not be successfully applied to any configs.\n` };
  }
  return { status: 200, body: { configs } };
}

/** `resource=<field>`: one config per element, each trimmed by the mask (Envoy's `trimResourceMessage`). */
function resourceDump(all: readonly { kind: DumpKind; body: JsonObject }[], resource: string, paths: string[] | undefined, mask: string): DumpAnswer {
  const known = `; repeated fields: ${RESOURCE_FIELDS.join(', ')} (dynamic_endpoint_configs with &include_eds)`;
  for (const d of all) {
    const spec = DUMPS[d.kind];
    const field = spec.fields[resource];
    if (field === undefined) continue;
    if (field !== 'list') return { status: 400, body: `${resource} is not a repeated field. Use ?mask=${resource} to get only this field\n` };
    const element = spec.elements[resource];
    // static_* and dynamic_warming_clusters: repeated, and always empty here (no static resources, no warming).
    if (element === undefined) return { status: 200, body: { configs: [] } };
    const [elementName, elementSpec] = element;
    const configs: JsonObject[] = [];
    for (const item of (d.body[resource] as JsonObject[] | undefined) ?? []) {
      if (paths !== undefined && !paths.every((p) => validPath((elementSpec as { fields: AdminFields }).fields, p.split('.'), true))) {
        return { status: 400, body: `FieldMask ${mask} could not be successfully used: each path names fields of ${elementName} (proto field names; one step further into its Any resource, e.g. ${anyFieldOf(elementSpec) ?? 'name'}.name)\n` };
      }
      configs.push({ '@type': `${ADMIN}.${d.kind}.${elementName}`, ...(paths === undefined ? item : trim(item, paths.map((p) => p.split('.')))) });
    }
    return { status: 200, body: { configs } };
  }
  return { status: 404, body: `${resource} not found in config dump${known}\n` };
}

function anyFieldOf(spec: AdminField): string | undefined {
  if (typeof spec !== 'object' || !('fields' in spec)) return undefined;
  return Object.entries(spec.fields).find(([, f]) => typeof f === 'object' && 'any' in f)?.[0];
}

/**
 * Whether a FieldMask path names fields of the message (protobuf's `FieldMaskUtil::GetFieldDescriptors`):
 * every step a field, every step but the last a singular message. With `intoAny`, a step onto an
 * element's Any field may go on into the resource it holds (Envoy's `trimResourceMessage`).
 */
function validPath(fields: AdminFields, steps: readonly string[], intoAny = false): boolean {
  const [head, ...rest] = steps;
  if (head === undefined || head === '') return false;
  const f = fields[head];
  if (f === undefined) return false;
  if (rest.length === 0) return true;
  if (f === 'leaf' || f === 'list') return false;
  if ('any' in f) return intoAny && validResourcePath(f.any, rest);
  return validPath(f.fields, rest, false);
}

function validResourcePath(schema: DescMessage, steps: readonly string[]): boolean {
  let message: DescMessage | undefined = schema;
  for (let i = 0; i < steps.length; i++) {
    const field: DescMessage['fields'][number] | undefined = message?.fields.find((x) => x.name === steps[i]);
    if (field === undefined) return false;
    if (i === steps.length - 1) return true;
    if (field.fieldKind !== 'message') return false;
    message = field.message;
  }
  return false;
}

/**
 * Keeps only the masked paths of a proto-JSON object (protobuf's `FieldMaskUtil::TrimMessage`); an
 * Any keeps its `@type`. A path into a well-known type printed as a JSON scalar (Duration, Timestamp,
 * wrappers) keeps the whole value, as the trimmed message prints the same.
 */
function trim(obj: JsonObject, paths: readonly (readonly string[])[]): JsonObject {
  const out: JsonObject = {};
  if (typeof obj['@type'] === 'string') out['@type'] = obj['@type'];
  const byHead = new Map<string, (readonly string[])[]>();
  for (const p of paths) {
    const [head, ...rest] = p;
    const list = byHead.get(head!) ?? [];
    list.push(rest);
    byHead.set(head!, list);
  }
  for (const [head, rests] of byHead) {
    const value: JsonValue | undefined = obj[head];
    if (value === undefined) continue;
    if (rests.some((r) => r.length === 0) || value === null || typeof value !== 'object' || Array.isArray(value)) {
      out[head] = value;
      continue;
    }
    // As TrimMessage: a message field stays set even when none of its masked sub-fields is.
    out[head] = trim(value, rests);
  }
  return out;
}
