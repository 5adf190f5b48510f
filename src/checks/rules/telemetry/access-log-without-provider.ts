import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { defaultAccessLogProviders } from './_helpers.js';

/**
 * `telemetry/access-log-without-provider` (IST0157): a Telemetry `accessLogging` entry that names no
 * provider while the MeshConfig has no default access-log provider, so it configures nothing.
 */
const accessLogWithoutProvider: Rule = {
  id: 'telemetry/access-log-without-provider',
  istioCode: 'IST0157',
  severity: 'warning',
  summary: 'A Telemetry accessLogging entry names no provider and the MeshConfig has no defaultProviders.accessLogging, so istiod ignores it and no access log is written for it.',
  docs: [
    'istiod builds access logs from the providers an `accessLogging` entry names, or, when it names none, from',
    'MeshConfig `defaultProviders.accessLogging` (`pilot/pkg/model/telemetry.go` `mergeLogs`). Istio\'s default',
    'MeshConfig has no default provider, so an entry such as `- filter: {expression: "response.code >= 400"}`',
    'without `providers` enables nothing: its filter is never applied and the proxies keep whatever access log',
    'they had (the MeshConfig `accessLogFile`, or none). Fix: add `providers: [{name: envoy}]` (Istio\'s built-in',
    'stdout provider) or another access-log provider, or set `defaultProviders.accessLogging` in the MeshConfig.',
    'Entries with `disabled: true` are not reported. Mirrors `istioctl analyze` IST0157 (InvalidTelemetryProvider,',
    '`telemetry.ProviderAnalyzer`) exactly: without a MeshConfig in the input (the `istio` ConfigMap or',
    '`--mesh-config`) Istio\'s default one is assumed, as `istioctl analyze` does offline.',
  ].join(' '),
  kinds: ['Telemetry', 'ConfigMap'],
  check(graph, ctx) {
    if (defaultAccessLogProviders(graph.meshConfig).length > 0) return;
    for (const t of graph.ofKind('Telemetry')) {
      const entries = t.spec.accessLogging;
      if (!Array.isArray(entries)) continue;
      entries.forEach((entry, i) => {
        const e = isRecord(entry) ? entry : {};
        if (e.disabled === true) return;
        if (Array.isArray(e.providers) && e.providers.length > 0) return;
        ctx.report(t, `The Telemetry ${t.name} in namespace "${t.namespace}" with empty providers will be ignored: accessLogging[${i}] names no provider and the MeshConfig has no defaultProviders.accessLogging, so istiod configures no access log from it${e.filter !== undefined ? ' and its filter is never applied' : ''}. Fix: add providers: [{name: envoy}] (or another access-log provider of the MeshConfig) to this entry, or set defaultProviders.accessLogging in the MeshConfig`,
          { path: ['spec', 'accessLogging', i] });
      });
    }
  },
};

export default accessLogWithoutProvider;
