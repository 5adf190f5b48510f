import { missingVersion } from '../../../mesh/kinds.js';
import { tryFindCrd } from '../../../validate/crds.js';
import type { Rule } from '../../rule.js';

/** `schema/api-version`: an apiVersion without its `/version` part (`networking.istio.io`), which the API server refuses. */
const apiVersion: Rule = {
  id: 'schema/api-version',
  severity: 'error',
  summary: 'An apiVersion names an API group without a version (`networking.istio.io`), or a bare version on a kind of a named group.',
  docs: [
    'An apiVersion is `group/version` (`networking.istio.io/v1`); only the core group is written as the version alone',
    '(`v1`). The API server reads a value without `/` as core group with that string as version, so',
    '`apiVersion: networking.istio.io` or `apiVersion: apps` matches no kind and `kubectl apply` or the Argo CD sync',
    'fails ("no matches for kind"). meshproof would otherwise see an unknown kind and skip every rule on the object,',
    'hiding its content. Reported when the value has no `/` and holds a dot or is a known group (`apps`, `batch`,',
    '`policy`, `autoscaling`), and when a kind of a named group (DestinationRule, Deployment) carries a bare version',
    '(`v1beta1`). Fix: write the group and a served version; for Istio kinds the message lists the served versions',
    'of the vendored CRD. A built-in kind meshproof reads (Service, Deployment, Ingress, …) at an apiVersion no',
    'supported Kubernetes serves, `apps` included, is refused while reading instead (`input/unserved-kind`) and not modelled.',
  ].join(' '),
  kinds: ['*'],
  check(graph, ctx) {
    for (const o of graph.objects) {
      if (typeof o.apiVersion !== 'string') continue;
      const miss = missingVersion(o.apiVersion, o.kind);
      if (!miss) continue;
      const served = tryFindCrd(miss.group, o.kind)?.versions.filter((v) => v.served).map((v) => `${miss.group}/${v.name}`) ?? [];
      const hint = served.length > 0 ? `write one of ${served.join(', ')}` : `write it as group/version, e.g. ${miss.suggestion}`;
      ctx.report(o, `apiVersion: ${JSON.stringify(o.apiVersion)} has no version (group ${miss.group}): the API server reads a value without "/" as the core group and refuses ${o.kind} ("no matches for kind"), and meshproof's rules skip the object; ${hint}`, { path: ['apiVersion'] });
    }
  },
};

export default apiVersion;
