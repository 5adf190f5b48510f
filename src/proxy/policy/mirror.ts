/**
 * Request mirroring: `RouteAction.request_mirror_policies` as Envoy's router applies them
 * (`Filter::maybeDoShadowing` in `source/common/router/router.cc`, `shadowAppendedHost`). Each
 * policy whose `runtime_fraction` fires gets a copy of the request, with the authority suffixed
 * `-shadow` (before the port), sent fire-and-forget: its response is discarded and it never delays
 * or fails the main request. This unit decides who gets a copy and how it is addressed; the
 * forwarder sends it.
 */
import type { RouteAction_RequestMirrorPolicy } from '../../xds/gen/envoy/config/route/v3/route_components_pb.js';
import type { FractionalPercent } from '../../xds/gen/envoy/type/v3/percent_pb.js';
import { ConfigError } from '../config/config-error.js';
import type { HeaderBag } from '../route-match.js';
import { fractionHit, firstHeader, type RandomSource } from './_common.js';

/** One mirror policy, read once. */
export interface CompiledMirror {
  /** `cluster`: the shadow cluster ('' when `cluster_header` names it). */
  readonly cluster: string;
  /** `cluster_header`: request header naming the shadow cluster. */
  readonly clusterHeader: string;
  /** `runtime_fraction.default_value`; `undefined` = every request (no fraction configured). */
  readonly fraction: FractionalPercent | undefined;
  /** `disable_shadow_host_suffix_append`. */
  readonly keepHost: boolean;
}

/** Reads `request_mirror_policies`; throws {@link ConfigError} at `request_mirror_policies[i]` when neither cluster nor header is set. */
export function compileMirrorPolicies(policies: readonly RouteAction_RequestMirrorPolicy[]): CompiledMirror[] {
  return policies.map((p, i) => {
    if (p.cluster === '' && p.clusterHeader === '') {
      throw new ConfigError(`request_mirror_policies[${i}]`, 'neither cluster nor cluster_header is set; exactly one is required');
    }
    if (p.cluster !== '' && p.clusterHeader !== '') {
      throw new ConfigError(`request_mirror_policies[${i}]`, `both cluster (${JSON.stringify(p.cluster)}) and cluster_header (${JSON.stringify(p.clusterHeader)}) are set; only one is allowed`);
    }
    return { cluster: p.cluster, clusterHeader: p.clusterHeader.toLowerCase(), fraction: p.runtimeFraction?.defaultValue, keepHost: p.disableShadowHostSuffixAppend };
  });
}

/**
 * Envoy `shadowAppendedHost`: `-shadow` after the host name, before any port. `reviews:9080` →
 * `reviews-shadow:9080`, `reviews` → `reviews-shadow`, `[::1]:80` → `[::1]-shadow:80`.
 */
export function shadowAuthority(authority: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d*)?$/.exec(authority);
  if (!m) return `${authority}-shadow`;
  return `${m[1]}-shadow${m[2] ?? ''}`;
}

/** A copy to send: the cluster and the authority it carries. */
export interface MirrorTarget {
  readonly cluster: string;
  readonly authority: string;
}

/**
 * The copies this request makes, in policy order: one per policy whose fraction fires (one draw per
 * policy) and whose cluster is known. `authority` is the request's `:authority` (or `host`).
 */
export function mirrorTargets(mirrors: readonly CompiledMirror[], headers: HeaderBag, authority: string, random: RandomSource): MirrorTarget[] {
  const out: MirrorTarget[] = [];
  for (const m of mirrors) {
    if (m.fraction !== undefined && !fractionHit(m.fraction, random)) continue;
    const cluster = m.cluster !== '' ? m.cluster : firstHeader(headers[m.clusterHeader]);
    if (cluster === undefined || cluster === '') continue;
    out.push({ cluster, authority: m.keepHost ? authority : shadowAuthority(authority) });
  }
  return out;
}
