import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

/**
 * `validation/telemetry-warnings` (IST0133): what Istio's webhook accepts on a Telemetry with a warning. Mirrors the
 * warnings of `validateTelemetryTracing` and `validateTelemetryMetrics` (`pkg/config/validation/validation.go`).
 */
const telemetryWarnings: Rule = {
  id: 'validation/telemetry-warnings',
  istioCode: 'IST0133',
  severity: 'warning',
  summary: 'A Telemetry Istio accepts with a warning: more than one tracing entry, more than one provider in a tracing entry, or a metrics tagOverrides entry with an empty name.',
  docs: [
    'Istio\'s webhook accepts these with a warning, which `istioctl analyze` reports as IST0133 (SchemaWarning): more',
    'than one `spec.tracing` entry ("multiple tracing is not currently supported"), a tracing entry naming more than',
    'one provider ("multiple providers is not currently supported"): istiod configures one tracer, so the other entries',
    'or providers do nothing; and a `metrics[].overrides[].tagOverrides` key that is empty ("tagOverrides.name may not',
    'be empty"). Fix: keep one tracing entry with one provider (a second tracing backend goes through an OpenTelemetry',
    'collector); name the tag to override.',
  ].join(' '),
  kinds: ['Telemetry'],
  check(graph, ctx) {
    for (const t of graph.ofKind('Telemetry')) {
      const out: [string, FieldPath][] = [];
      const tracing = Array.isArray(t.spec.tracing) ? t.spec.tracing : [];
      if (tracing.length > 1) {
        out.push([`multiple tracing is not currently supported: spec.tracing has ${tracing.length} entries and istiod uses one; merge them into spec.tracing[0]`, ['spec', 'tracing', 1]]);
      }
      tracing.forEach((e, i) => {
        const providers = isRecord(e) && Array.isArray(e.providers) ? e.providers : [];
        if (providers.length > 1) {
          out.push([`multiple providers is not currently supported: spec.tracing[${i}].providers names ${providers.length}, and istiod configures one tracer; ` +
            'keep one (send to several backends through an OpenTelemetry collector)', ['spec', 'tracing', i, 'providers', 1]]);
        }
      });
      (Array.isArray(t.spec.metrics) ? t.spec.metrics : []).forEach((m, i) => {
        (isRecord(m) && Array.isArray(m.overrides) ? m.overrides : []).forEach((o, j) => {
          const tags = isRecord(o) && isRecord(o.tagOverrides) ? o.tagOverrides : {};
          if (Object.hasOwn(tags, '')) {
            out.push([`tagOverrides.name may not be empty: spec.metrics[${i}].overrides[${j}].tagOverrides has a "" key; name the metric tag (e.g. request_protocol)`,
              ['spec', 'metrics', i, 'overrides', j, 'tagOverrides', '']]);
          }
        });
      });
      for (const [message, path] of out) ctx.report(t, `${SCHEMA_WARNING} ${message}`, { path });
    }
  },
};

export default telemetryWarnings;
