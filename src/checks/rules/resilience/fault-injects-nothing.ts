import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { faultPercentOf, httpRoutesOf } from './_helpers.js';

/**
 * `resilience/fault-injects-nothing`: an http route's `fault.abort` or `fault.delay` that hits no
 * request. istiod's `TranslateFault` (pilot/pkg/networking/core/route/route.go) copies `percentage`
 * into Envoy's `FaultAbort.percentage` / `FaultDelay.percentage`; without one it sends an abort no
 * percentage (Envoy reads 0 %) and a delay the deprecated integer `percent` (0 when unset), so the
 * fault filter injects nothing (istio/istio#39969; the API docs said "all requests" until istio/api#2522).
 */
const faultInjectsNothing: Rule = {
  id: 'resilience/fault-injects-nothing',
  severity: 'warning',
  summary: 'A route\'s fault.abort or fault.delay has no percentage (or 0), so Istio injects it into no request.',
  docs: [
    'istiod translates `fault.abort.percentage` and `fault.delay.percentage` into the Envoy fault filter\'s',
    'per-route percentage; when `percentage` is missing (or `{}` or `value: 0`) the abort gets no percentage, which',
    'Envoy reads as 0 %, and the delay gets the deprecated integer `percent`, 0 unless written. The fault then',
    'hits no request: the canary of a resilience test passes because nothing was injected. Istio\'s API reference',
    'said an unset percentage meant "all requests" until 2022 (istio/istio#39969, istio/api#2522), and many',
    'examples still omit it. A delegate route is judged with the fault it takes from its root. Fix: write',
    '`percentage: {value: 100}` (or the share meant) under `abort` / `delay`; remove the fault if it is meant to be off.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { route, path, label } of httpRoutesOf(vs, graph)) {
        const fault = route.fault;
        if (!isRecord(fault)) continue;
        for (const kind of ['abort', 'delay'] as const) {
          const f = fault[kind];
          if (!isRecord(f)) continue;
          const written = isRecord(f.percentage);
          const value = written ? (f.percentage as Record<string, unknown>).value : undefined;
          if (written && typeof value !== 'number' && value !== undefined) continue; // a wrong type: schema/crd-validation's
          // A delay without percentage falls back to the deprecated integer percent.
          if (faultPercentOf(f, kind === 'delay') !== 0) continue;
          const what = written ? `percentage.value is ${value === undefined ? 'unset' : '0'}` : 'has no percentage';
          const legacy = kind === 'abort' && !written && typeof f.percent === 'number' ? ` (an abort has no "percent" field: Istio ignores ${f.percent})` : '';
          ctx.report(vs, `${label}: fault.${kind} ${what}${legacy}, so Istio injects the ${kind} into no request (an unset percentage is 0 %, not 100 %); ` +
            `write "percentage: {value: 100}" (or the share meant) under fault.${kind}, or remove the ${kind}`, { path: [...path, 'fault', kind] });
        }
      }
    }
  },
};

export default faultInjectsNothing;
