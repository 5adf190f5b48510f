import type { IConstruct } from 'constructs';
import type { VirtualServiceSpecHttp } from '../../imports/networking.istio.io.js';
import { PropError } from './_errors.js';

/** The parts of an Istio `Destination` that name where requests go. */
interface Target {
  readonly host: string;
  readonly subset?: string;
  readonly port?: { readonly number?: number };
}

/**
 * Refuses a route whose mirror (`mirror`, or an entry of `mirrors`) targets one of the route's own
 * weighted destinations that takes a share of its requests (weight above 0, or the lone
 * destination). Istio copies each request of the route to the mirror whatever the weighted pick,
 * so the requests the split sends to that destination reach it twice: served, and again as the
 * fire-and-forget `-shadow` copy. Non-idempotent requests then take effect twice, and the
 * destination's metrics count double. A mirror at 0 % and a destination at weight 0 (the shadow
 * phase of a canary) are allowed. Hosts are compared as written (the construct layer does not know
 * the VirtualService's namespace); the check rule `routing/mirror-to-weighted-destination` also
 * resolves short names.
 *
 * `http` is a translated route; `field` prefixes the fields named in the error
 * (`routes[0].mirror`, `routes[0].mirrors[1]`).
 * @throws PropError (`MP_INVALID_PROP`) naming `scope`'s path, the mirror field, its target and the
 *   weighted destination it collides with.
 */
export function checkMirrorTakesNoWeightedTraffic(scope: IConstruct, http: VirtualServiceSpecHttp, field: string): void {
  const route = http.route ?? [];
  const weightOf = (w: number | undefined) => w ?? (route.length === 1 ? 100 : 0);
  const total = route.reduce((sum, d) => sum + weightOf(d.weight), 0);
  const mirrors: { target: Target; percent: number; field: string }[] = [];
  if (http.mirror !== undefined) mirrors.push({ target: http.mirror, percent: http.mirrorPercentage?.value ?? 100, field: `${field}.mirror` });
  (http.mirrors ?? []).forEach((m, i) => mirrors.push({ target: m.destination, percent: m.percentage?.value ?? 100, field: `${field}.mirrors[${i}]` }));

  for (const m of mirrors) {
    if (m.percent === 0) continue;
    const j = route.findIndex((d) => weightOf(d.weight) > 0 && sameTarget(d.destination, m.target));
    if (j < 0) continue;
    const share = Math.round((weightOf(route[j]!.weight) / total) * 1000) / 10;
    const sent = share >= 100 ? 'sends it every request' : `already sends it ${share} % of requests`;
    throw new PropError('MP_INVALID_PROP', scope, m.field, label(m.target),
      `expected a mirror target that takes none of this route's traffic: ${field}.route[${j}] ${sent}, and Istio copies every ` +
      'request of the route to the mirror before the weighted pick, so those requests are processed twice (served, and again as ' +
      'the -shadow copy). Mirror a version that serves no live traffic (e.g. the next one), or set that destination\'s weight to 0 ' +
      'while shadowing it');
  }
}

function sameTarget(a: Target, b: Target): boolean {
  const pa = a.port?.number;
  const pb = b.port?.number;
  return a.host === b.host && (a.subset ?? '') === (b.subset ?? '') && (pa === undefined || pb === undefined || pa === pb);
}

function label(t: Target): string {
  return `${t.host}${t.subset !== undefined ? ` subset ${t.subset}` : ''}${t.port?.number !== undefined ? ` port ${t.port.number}` : ''}`;
}
