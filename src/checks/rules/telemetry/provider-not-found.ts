import { DEFAULT_MESH_CONFIG, editDistance } from '../../../mesh/mesh-config.js';
import type { Rule } from '../../rule.js';
import { KINDS_FOR, PROVIDER_KINDS, fetchProvider, providerRefsOf, type ProviderRef, type TelemetrySection } from './_helpers.js';
import { extensionProvidersOf } from '../../../mesh/extension-providers.js';

/** What istiod does with a Telemetry provider it cannot use, per section (master of 2026-08). */
const UNUSED: Record<TelemetrySection, string> = {
  tracing: 'istiod then configures no tracer for the workloads and traffic direction this entry applies to: a tracing spec whose provider is not found is disabled (pilot/pkg/model/telemetry.go Tracing)',
  accessLogging: 'istiod skips it (pilot/pkg/model/telemetry.go AccessLogging, "fail to fetch provider" at debug level), so no access log is written through it; when no provider resolves, the proxies fall back to the MeshConfig accessLogFile',
  metrics: 'istiod skips it (pilot/pkg/model/telemetry.go telemetryFilters), so no stats filter is built for it and these workloads report no metrics through it; the entry still replaces the providers it would have inherited',
};

const WRONG_KIND: Record<TelemetrySection, string> = {
  tracing: 'istiod logs "Not able to configure requested tracing provider … does not support tracing" and configures no tracer for the workloads and traffic direction this entry applies to (pilot/pkg/networking/core/tracing.go configureFromProviderConfig)',
  accessLogging: 'istiod builds no access log from it (pilot/pkg/model/telemetry_logging.go telemetryAccessLog returns none for this kind), so nothing is logged through it',
  metrics: 'istiod builds stats filters for prometheus providers only (pilot/pkg/model/telemetry.go buildHTTPTelemetryFilter), so these workloads report no metrics through it',
};

const WANTED: Record<TelemetrySection, string> = {
  tracing: 'a tracing provider (zipkin, datadog, skywalking, opentelemetry)',
  accessLogging: 'an access-log provider (envoyFileAccessLog, envoyHttpAls, envoyTcpAls, envoyOtelAls)',
  metrics: 'a prometheus provider',
};

/** `name` (and a later index) of the entry, e.g. `tracing[0].providers[1]`. */
const where = (ref: ProviderRef) => `${ref.section}[${ref.path[2]}].providers[${ref.path[4]}]`;

/**
 * `telemetry/provider-not-found`: a Telemetry names a provider that is not among the MeshConfig's
 * extension providers, or one of a kind its section cannot use.
 */
const providerNotFound: Rule = {
  id: 'telemetry/provider-not-found',
  severity: 'error',
  summary: 'A Telemetry tracing, accessLogging or metrics entry names a provider that is not in the MeshConfig extensionProviders (or one of the wrong kind for the section), so istiod silently configures no tracing, access log or metrics through it.',
  docs: [
    'Each `providers[].name` of a Telemetry\'s `tracing`, `accessLogging` and `metrics` entries must name an entry',
    'of the MeshConfig `extensionProviders` (Istio\'s built-in `prometheus`, `stackdriver` and `envoy` included);',
    'istiod matches names ignoring case (`Telemetries.fetchProvider`). istiod does not refuse a Telemetry naming an',
    'unknown provider and does not report it: a tracing entry then disables tracing where it applies, an access',
    'log or metrics provider is skipped, so a typo silently turns telemetry off. A provider of the wrong kind is',
    'just as useless: tracing needs zipkin, datadog, skywalking or opentelemetry (lightstep is',
    '`telemetry/lightstep-deprecated`), access logs need envoyFileAccessLog, envoyHttpAls, envoyTcpAls or',
    'envoyOtelAls, and metrics are built for prometheus providers only. Only the first provider of a tracing',
    'entry is used; the others are reported as ignored. Fix: correct the name (a near provider is suggested), or',
    'add the provider to `extensionProviders` in the istio ConfigMap\'s MeshConfig. Judged only when the MeshConfig',
    'is known (the `istio` ConfigMap in the input, or `--mesh-config`). No `istioctl analyze` code: Istio\'s',
    'analyzers do not check provider names.',
  ].join(' '),
  kinds: ['Telemetry', 'ConfigMap'],
  check(graph, ctx) {
    if (graph.meshConfigSource === null && graph.meshConfig === DEFAULT_MESH_CONFIG) return;
    const providers = [...extensionProvidersOf(graph.meshConfig).byName.values()];
    for (const t of graph.ofKind('Telemetry')) {
      for (const ref of providerRefsOf(t)) {
        const ignored = ref.section === 'tracing' && ref.path[4] !== 0
          ? ' istiod uses only the first provider of a tracing entry, so this one would be ignored anyway.' : '';
        const p = fetchProvider(graph.meshConfig, ref.name);
        if (p === undefined) {
          const fitting = providers.filter((q) => KINDS_FOR[ref.section].has(q.kind)).map((q) => q.name);
          const near = [...fitting, ...providers.map((q) => q.name)].find((n) => editDistance(n.toLowerCase(), ref.name.toLowerCase()) <= 2);
          const fix = near !== undefined ? `write "${near}"` : `add ${WANTED[ref.section]} named "${ref.name}" to extensionProviders in the MeshConfig${fitting.length > 0 ? `, or name one of ${fitting.map((n) => `"${n}"`).join(', ')}` : ''}`;
          ctx.report(t, `${where(ref)} names provider "${ref.name}", which is not an extension provider of the MeshConfig; ${ignored ? ignored.trim() : `${UNUSED[ref.section]}.`} Fix: ${fix}`, { path: ref.path });
          continue;
        }
        if (!PROVIDER_KINDS.has(p.kind) || KINDS_FOR[ref.section].has(p.kind)) continue;
        const fitting = providers.filter((q) => KINDS_FOR[ref.section].has(q.kind)).map((q) => q.name);
        ctx.report(t, `${where(ref)} names provider "${ref.name}" of kind ${p.kind}, which cannot serve ${ref.section}; ${ignored ? ignored.trim() : `${WRONG_KIND[ref.section]}.`} Fix: name ${WANTED[ref.section]}${fitting.length > 0 ? ` such as ${fitting.slice(0, 3).map((n) => `"${n}"`).join(', ')}` : ' (add one to extensionProviders in the MeshConfig)'}`,
          { path: ref.path });
      }
    }
  },
};

export default providerNotFound;
