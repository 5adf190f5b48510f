import type { Rule } from '../../rule.js';
import { extensionProvidersOf } from '../../../mesh/extension-providers.js';
import { providerRefsOf } from './_helpers.js';

/** `telemetry/lightstep-deprecated` (IST0002): a Telemetry traces through a MeshConfig provider of the deprecated `lightstep` kind. */
const lightstepDeprecated: Rule = {
  id: 'telemetry/lightstep-deprecated',
  istioCode: 'IST0002',
  severity: 'warning',
  summary: 'A Telemetry sends traces to a MeshConfig extension provider of the deprecated lightstep kind; migrate it to opentelemetry.',
  docs: [
    'The `lightstep` extension provider is deprecated: istiod builds no Lightstep tracer any more and logs',
    '"Lightstep provider is deprecated, please use OpenTelemetry instead" (`pilot/pkg/networking/core/tracing.go`',
    '`configureFromProviderConfig`). Lightstep (ServiceNow Cloud Observability) accepts OpenTelemetry: fix by',
    'replacing the MeshConfig entry with an `opentelemetry` provider (`service`, `port`, and the access token as',
    'a `lightstep-access-token` header through `grpc.initialMetadata` or `http.headers`) and naming it in the',
    'Telemetry. Mirrors `istioctl analyze` IST0002 (Deprecated) of `telemetry.LightstepAnalyzer`: one finding per',
    '`tracing[].providers[]` entry naming a lightstep provider of the MeshConfig (the `istio` ConfigMap or',
    '`--mesh-config`), the name compared exactly as the analyzer compares it (`providerNames.Contains`). istiod',
    'resolves provider names ignoring case (`Telemetries.fetchProvider`), so a tracing entry naming the provider in',
    'other letter case (`Lightstep-Prod` for `lightstep-prod`) also reaches the deprecated tracer; istioctl does not',
    'report it and neither does this rule: write the name as the MeshConfig does.',
  ].join(' '),
  kinds: ['Telemetry', 'ConfigMap'],
  check(graph, ctx) {
    // telemetry.LightstepAnalyzer: a set of the lightstep providers' names, looked up as written.
    const lightstep = new Set([...extensionProvidersOf(graph.meshConfig).byName.values()].filter((p) => p.kind === 'lightstep').map((p) => p.name));
    if (lightstep.size === 0) return;
    for (const t of graph.ofKind('Telemetry')) {
      for (const ref of providerRefsOf(t)) {
        if (ref.section !== 'tracing' || !lightstep.has(ref.name)) continue;
        ctx.report(t, `Deprecated: The Lightstep provider ${ref.name} is deprecated, please migrate to OpenTelemetry provider. istiod has no Lightstep tracer any more (it only logs the deprecation). Fix: replace the lightstep entry "${ref.name}" in the MeshConfig's extensionProviders with an opentelemetry provider (Lightstep accepts OTLP) and name that one here`,
          { path: ref.path });
      }
    }
  },
};

export default lightstepDeprecated;
