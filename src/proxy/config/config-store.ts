/**
 * The proxy's accepted xDS state: clusters, assignments, listeners and route configurations as last
 * applied, each compiled. An update is applied resource by resource as Envoy does: the valid ones take
 * effect, an invalid one keeps its last good version, and the response is NACKed with every problem
 * (`<Type> "<name>": <field path>: <what and how to fix>`). LDS and CDS responses are the whole
 * state (a name left out is removed); RDS and EDS responses update the names they carry.
 */
import { type Any, anyUnpack } from '@bufbuild/protobuf/wkt';
import { type Cluster, ClusterSchema } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { type ClusterLoadAssignment, ClusterLoadAssignmentSchema } from '../../xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { type Listener, ListenerSchema } from '../../xds/gen/envoy/config/listener/v3/listener_pb.js';
import { type RouteConfiguration, RouteConfigurationSchema } from '../../xds/gen/envoy/config/route/v3/route_pb.js';
import { envoySyntaxMessage, syntaxViolations } from '../../xds/config-syntax.js';
import { constraintViolations, envoyConstraintMessage } from '../../xds/proto-constraints.js';
import { TYPE_URL, XDS_REGISTRY } from '../../xds/resources.js';
import type { NetworkEnv, ProxyExtensions, UpstreamHost } from '../http/pipeline.js';
import { type CompiledRouteTable, compileRouteConfiguration } from '../route-select.js';
import { ConfigError } from './config-error.js';
import { type CompiledCluster, compileCluster, hostsOf } from './cluster-config.js';
import { type CompiledListener, compileListener } from './listener-config.js';

/** One accepted resource with its version and when it was applied (for /config_dump). */
export interface Accepted<T, C> {
  readonly resource: T;
  readonly compiled: C;
  readonly version: string;
  readonly lastUpdated: Date;
  readonly bytes: Uint8Array;
}

export type Kind = 'cluster' | 'endpoint' | 'listener' | 'route';

/** Names whose accepted version changed in one apply (added or replaced) and those removed. */
export interface Change { readonly kind: Kind; readonly updated: readonly string[]; readonly removed: readonly string[] }

const SCHEMA = { cluster: ClusterSchema, endpoint: ClusterLoadAssignmentSchema, listener: ListenerSchema, route: RouteConfigurationSchema } as const;
const TYPE_NAME: Record<Kind, string> = { cluster: 'Cluster', endpoint: 'ClusterLoadAssignment', listener: 'Listener', route: 'RouteConfiguration' };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class ConfigStore {
  readonly clusters = new Map<string, Accepted<Cluster, CompiledCluster>>();
  readonly endpoints = new Map<string, Accepted<ClusterLoadAssignment, UpstreamHost[]>>();
  readonly listeners = new Map<string, Accepted<Listener, CompiledListener>>();
  readonly routes = new Map<string, Accepted<RouteConfiguration, CompiledRouteTable>>();
  /** Last version accepted (ACKed) per kind. */
  readonly versions = new Map<Kind, string>();

  constructor(private readonly ext: ProxyExtensions, private readonly env: NetworkEnv) {}

  /** The kind of an xDS type URL this store holds, or undefined. */
  static kindOf(typeUrl: string): Kind | undefined {
    // TYPE_URL also names SDS secrets, which the store does not hold (an extra resource type does).
    return (['cluster', 'endpoint', 'listener', 'route'] as const).find((k) => TYPE_URL[k] === typeUrl);
  }

  /**
   * Applies one DiscoveryResponse's resources. Returns the change and the NACK detail (undefined when
   * every resource applied).
   */
  apply(kind: Kind, version: string, resources: readonly Any[]): { change: Change; error: string | undefined } {
    const errors: string[] = [];
    const seen = new Set<string>();
    const updated: string[] = [];
    const map = this.mapOf(kind) as Map<string, Accepted<unknown, unknown>>;
    resources.forEach((any, i) => {
      if (any.typeUrl !== TYPE_URL[kind]) {
        errors.push(`resources[${i}]: type ${any.typeUrl} in a ${TYPE_NAME[kind]} response; expected ${TYPE_URL[kind]}`);
        return;
      }
      let msg: Cluster | ClusterLoadAssignment | Listener | RouteConfiguration;
      try {
        msg = anyUnpack(any, SCHEMA[kind] as typeof ClusterSchema) as never;
      } catch (e) {
        errors.push(`resources[${i}]: does not decode as ${TYPE_NAME[kind]}: ${(e as Error).message}`);
        return;
      }
      const name = kind === 'endpoint' ? (msg as ClusterLoadAssignment).clusterName : (msg as Listener).name;
      if (!name) { errors.push(`resources[${i}]: ${TYPE_NAME[kind]} without a name`); return; }
      if (seen.has(name)) { errors.push(`${TYPE_NAME[kind]} "${name}": listed twice in one response`); return; }
      seen.add(name);
      const prev = map.get(name);
      if (prev && sameBytes(prev.bytes, any.value)) return;
      // Envoy's MessageUtil::validate: a resource breaking a proto constraint NACKs the response.
      const [violation] = constraintViolations(SCHEMA[kind], msg, XDS_REGISTRY, 1);
      if (violation) {
        errors.push(`${TYPE_NAME[kind]} "${name}": ${violation.path}: ${envoyConstraintMessage(violation)}`);
        return;
      }
      // What Envoy parses on receipt wherever it sits, used by this proxy or not: RE2 regexes, header values to add.
      const [unparsable] = kind === 'endpoint' ? [] : syntaxViolations(SCHEMA[kind], msg, undefined, 1);
      if (unparsable) {
        errors.push(`${TYPE_NAME[kind]} "${name}": ${unparsable.path}: ${envoySyntaxMessage(unparsable)}`);
        return;
      }
      try {
        const compiled = this.compile(kind, msg);
        map.set(name, { resource: msg, compiled, version, lastUpdated: new Date(), bytes: any.value });
        updated.push(name);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        errors.push(`${TYPE_NAME[kind]} "${name}": ${e.message}`);
      }
    });
    const removed: string[] = [];
    if (kind === 'cluster' || kind === 'listener') {
      for (const name of [...map.keys()]) if (!seen.has(name)) { map.delete(name); removed.push(name); }
    }
    const error = errors.length > 0 ? errors.join('\n') : undefined;
    if (!error) this.versions.set(kind, version);
    return { change: { kind, updated, removed }, error };
  }

  /** EDS names the clusters need (`eds_cluster_config.service_name` or the cluster name). */
  endpointNames(): string[] {
    const out = new Set<string>();
    for (const c of this.clusters.values()) if (c.compiled.edsName) out.add(c.compiled.edsName);
    return [...out].sort();
  }

  /** RDS names the listeners' HTTP connection managers need. */
  routeNames(): string[] {
    const out = new Set<string>();
    for (const l of this.listeners.values()) {
      for (const c of [...l.compiled.chains, ...(l.compiled.defaultChain ? [l.compiled.defaultChain] : [])]) if (c.hcm?.rds) out.add(c.hcm.rds);
    }
    return [...out].sort();
  }

  private mapOf(kind: Kind) {
    return kind === 'cluster' ? this.clusters : kind === 'endpoint' ? this.endpoints : kind === 'listener' ? this.listeners : this.routes;
  }

  private compile(kind: Kind, msg: Cluster | ClusterLoadAssignment | Listener | RouteConfiguration): unknown {
    switch (kind) {
      case 'cluster': {
        const compiled = compileCluster(msg as Cluster);
        this.ext.validators?.cluster?.(msg as Cluster);
        return compiled;
      }
      case 'endpoint': return hostsOf(msg as ClusterLoadAssignment);
      case 'listener': return compileListener(msg as Listener, this.ext, this.env);
      case 'route': {
        const table = compileRouteConfiguration(msg as RouteConfiguration);
        this.validatePerFilterConfig(table);
        this.ext.validators?.route?.(msg as RouteConfiguration);
        return table;
      }
    }
  }

  /** Each route's `typed_per_filter_config` entry is checked by the unit implementing that filter. */
  private validatePerFilterConfig(table: CompiledRouteTable): void {
    const vhosts = new Set([...table.exact.values(), ...table.suffixes.map((s) => s[1]), ...table.prefixes.map((p) => p[1]), ...(table.fallback ? [table.fallback] : [])]);
    for (const vh of vhosts) {
      const vi = table.source.virtualHosts.indexOf(vh.source);
      vh.routes.forEach((r, ri) => {
        for (const [name, any] of Object.entries(r.source.typedPerFilterConfig)) {
          const f = this.ext.httpFilters.get(name);
          try {
            f?.validatePerRoute?.(any);
          } catch (e) {
            if (e instanceof ConfigError) throw e.within(`virtual_hosts[${vi}].routes[${ri}].typed_per_filter_config["${name}"]`);
            throw e;
          }
        }
      });
    }
  }
}
