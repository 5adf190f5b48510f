// What Istio's webhook refuses in a DestinationRule `loadBalancer.localityLbSetting` and `zoneAwareLbSetting`:
// istio/istio pkg/config/validation/agent/validation.go ValidateLocalityLbSetting, validateLocalities,
// ValidateZoneAwareLbSetting. The "outlier detection must be provided for failover" warning is not here.
import { isRecord } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';
import type { PolicyProblem } from './_traffic-policy.js';

const TOPOLOGY = ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone'];
const LOCALITY_FIX = 'write region[/zone[/subzone]] with at most one trailing "*", naming each locality once and not also under a wildcard that covers it';
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Istio validateLocalities: the first refusal among `region[/zone[/subzone]]` entries, or undefined. */
function localitiesProblem(localities: readonly string[]): string | undefined {
  const seen = new Map<string, Map<string, Map<string, boolean>>>();
  for (const locality of localities) {
    const stars = locality.split('*').length - 1;
    if (stars > 0 && (stars > 1 || !locality.endsWith('*'))) return `locality ${locality} wildcard '*' number can not exceed 1 and must be in the end`;
    const overlap = `locality ${locality} overlap with previous specified ones`;
    if (seen.has('*')) return overlap;
    const items = locality.split('/');
    const parts = items.length > 3 ? [...items.slice(0, 2), items.slice(2).join('/')] : items;
    if (parts.some((p) => p === '')) return `locality ${locality} must not contain empty region/zone/subzone info`;
    const [region, zone, subZone] = parts as [string, string?, string?];
    const r = seen.get(region);
    if (parts.length === 1) {
      if (r) return overlap;
      seen.set(region, new Map([['*', new Map([['*', true]])]]));
    } else if (parts.length === 2) {
      if (r && (r.has('*') || r.has(zone!))) return overlap;
      if (r) r.set(zone!, new Map([['*', true]]));
      else seen.set(region, new Map([[zone!, new Map([['*', true]])]]));
    } else {
      const z = r?.get(zone!);
      if (r?.has('*') || z?.get('*') || z?.get(subZone!)) return overlap;
      if (z) z.set(subZone!, true);
      else if (r) r.set(zone!, new Map([[subZone!, true]]));
      else seen.set(region, new Map([[zone!, new Map([[subZone!, true]])]]));
    }
  }
  return undefined;
}

/** `failover: [{from, to}]` entries: regions only, different, without wildcards. `kind` words the message. */
function failoverProblems(failover: unknown[], at: FieldPath, kind: 'locality lb' | 'zone aware lb'): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  failover.forEach((f, i) => {
    if (!isRecord(f)) return;
    const from = typeof f.from === 'string' ? f.from : '';
    const to = typeof f.to === 'string' ? f.to : '';
    const where: FieldPath = [...at, 'failover', i];
    const show = `(failover[${i}] from "${from}" to "${to}")`;
    if (from === to) out.push([`${kind} failover settings must specify different regions ${show}: fail over to another region`, where]);
    if (from.includes('/') || to.includes('/')) {
      out.push([kind === 'locality lb' ? `locality lb failover only specify region ${show}: zones fail over within their region by themselves; write region names`
        : `zone aware lb failover only specifies region; zone and subzone failover are handled automatically ${show}`, where]);
    }
    if (from.includes('*') || to.includes('*')) out.push([`${kind} failover region should not contain '*' wildcard ${show}: name the regions`, where]);
  });
  return out;
}

/** The refusals of `loadBalancer.localityLbSetting` and `.zoneAwareLbSetting`, paths relative to the policy. */
export function localityProblems(lb: Readonly<Record<string, unknown>>): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  const loc = lb.localityLbSetting;
  if (isRecord(loc)) {
    const at: FieldPath = ['loadBalancer', 'localityLbSetting'];
    const distribute = list(loc.distribute);
    const failover = list(loc.failover);
    const priority = list(loc.failoverPriority);
    if (distribute.length > 0 && failover.length > 0) {
      return [["can not simultaneously specify 'distribute' and 'failover': localityLbSetting either splits traffic by locality (distribute) or orders failover; keep one", at]];
    }
    const topo = failover.length > 0 ? priority.find((p) => typeof p === 'string' && TOPOLOGY.includes(p)) : undefined;
    if (topo !== undefined) {
      return [[`can not simultaneously set 'failover' and topology label '${String(topo)}' in 'failover_priority': failover already orders regions; drop the label from failoverPriority`, [...at, 'failoverPriority']]];
    }
    const sources: string[] = [];
    for (const [i, d] of distribute.entries()) {
      if (!isRecord(d)) continue;
      if (typeof d.from === 'string') sources.push(d.from);
      const to = isRecord(d.to) ? d.to : {};
      const weights = Object.values(to).filter((w): w is number => typeof w === 'number');
      const where: FieldPath = [...at, 'distribute', i, 'to'];
      if (weights.some((w) => w <= 0 || w > 100)) return [...out, [`locality weight must be in range [1, 100] (distribute[${i}].to: ${JSON.stringify(to)})`, where]];
      const total = weights.reduce((a, w) => a + w, 0);
      if (total !== 100) return [...out, [`total locality weight ${total} != 100 in distribute[${i}].to: the weights are percentages of the traffic from ${String(d.from)}; make them add up to 100`, where]];
      const why = localitiesProblem(Object.keys(to));
      if (why) out.push([`${why} (distribute[${i}].to): ${LOCALITY_FIX}`, where]);
    }
    const why = localitiesProblem(sources);
    if (why) out.push([`${why} (distribute[].from): ${LOCALITY_FIX}`, [...at, 'distribute']]);
    out.push(...failoverProblems(failover, at, 'locality lb'));
  }
  const zone = lb.zoneAwareLbSetting;
  if (isRecord(zone)) {
    const at: FieldPath = ['loadBalancer', 'zoneAwareLbSetting'];
    for (const p of list(zone.failoverPriority)) {
      if (typeof p === 'string' && TOPOLOGY.includes(p)) {
        out.push([`'failover_priority' for zone aware lb must not use topology label '${p}'; region- and zone-level routing are handled automatically`, [...at, 'failoverPriority']]);
      }
    }
    out.push(...failoverProblems(list(zone.failover), at, 'zone aware lb'));
  }
  return out;
}
