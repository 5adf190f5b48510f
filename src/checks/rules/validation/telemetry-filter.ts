import { Environment } from '@marcbachmann/cel-js';
import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';

/** A CEL environment for syntax only: Istio's validateTelemetryFilter calls celEnv.Parse, which checks no names or types. */
const celSyntax = new Environment();

/** Why a CEL parser refuses `expression` (its first message line), or undefined when it parses. */
export function celSyntaxError(expression: string): string | undefined {
  try {
    celSyntax.parse(expression);
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/**
 * `validation/telemetry-filter` (IST0106): a Telemetry access log filter that is not a valid CEL expression, which
 * Istio's ValidateTelemetry (`validateTelemetryAccessLogging` → `validateTelemetryFilter`, pilot's build) refuses.
 */
const telemetryFilter: Rule = {
  id: 'validation/telemetry-filter',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A Telemetry accessLogging filter.expression that does not parse as CEL, so Istio\'s admission webhook refuses the Telemetry.',
  docs: [
    'Istio\'s `ValidateTelemetry` parses each `spec.accessLogging[].filter.expression` with CEL and refuses the Telemetry',
    'when it does not parse ("must be a valid CEL expression"): an unfinished comparison (`response.code >=`), an',
    'unbalanced bracket or quote, `=` for `==`, and a `filter: {}` without expression (parsed as ""). Only the syntax is checked, as Istio does: attribute names and types',
    '(`response.code`, `request.headers[\'x-id\']`) are Envoy\'s and are read at run time. The whole Telemetry is then',
    'refused, so none of its metrics, tracing or access log settings apply. meshproof parses with a CEL parser that is',
    'slightly more lenient than cel-go (`has(m[\'k\'])` passes here), so an expression it accepts may still be refused.',
    'Fix: write the expression as CEL, e.g. `response.code >= 400`, `request.headers[\'x-debug\'] == \'1\'`.',
  ].join(' '),
  kinds: ['Telemetry'],
  check(graph, ctx) {
    for (const t of graph.ofKind('Telemetry')) {
      (Array.isArray(t.spec.accessLogging) ? t.spec.accessLogging : []).forEach((l, i) => {
        const filter = isRecord(l) && isRecord(l.filter) ? l.filter : undefined;
        if (!filter) return;
        // A filter without expression is parsed as "" and refused like any other expression that does not parse.
        const expression = typeof filter.expression === 'string' ? filter.expression : '';
        const error = celSyntaxError(expression);
        if (!error) return;
        ctx.report(t, `must be a valid CEL expression, ${error}: spec.accessLogging[${i}].filter.expression is ${JSON.stringify(expression)}; ` +
          'write it as CEL over Envoy attributes, e.g. response.code >= 400, or remove the filter to log everything',
        { path: ['spec', 'accessLogging', i, 'filter', ...(typeof filter.expression === 'string' ? ['expression'] : [])] });
      });
    }
  },
};

export default telemetryFilter;
