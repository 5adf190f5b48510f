import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { SHOWN, listSome } from '../_lists.js';

const ENV = 'BLOCKED_CIDRS_IN_JWKS_URIS';

/** `security/jwks-uri-fetch-unrestricted` (IST0175): RequestAuthentications exist but istiod does not restrict JWKS fetches. */
const jwksUriFetchUnrestricted: Rule = {
  id: 'security/jwks-uri-fetch-unrestricted',
  istioCode: 'IST0175',
  severity: 'warning',
  summary: 'RequestAuthentication resources exist but the istiod Deployment does not set BLOCKED_CIDRS_IN_JWKS_URIS.',
  docs: [
    'istiod fetches the JWKS of every RequestAuthentication `jwksUri` itself. Without `BLOCKED_CIDRS_IN_JWKS_URIS`',
    'on istiod, anyone who may write a RequestAuthentication can make istiod request any address it reaches',
    '(cloud metadata endpoints, internal services): a server-side request forgery. As in `istioctl analyze` IST0175',
    '(JwksUriFetchUnrestricted), every Deployment labelled `app: istiod` is checked when the input holds at least one',
    'RequestAuthentication; a container env entry with a non-empty value satisfies it. Fix: set the env var on',
    'istiod (e.g. `values.pilot.env.BLOCKED_CIDRS_IN_JWKS_URIS: "169.254.169.254/32,10.0.0.0/8"`).',
  ].join(' '),
  kinds: ['RequestAuthentication', 'Deployment'],
  check(graph, ctx) {
    const ras = graph.ofKind('RequestAuthentication');
    if (ras.length === 0) return;
    const names = ras.slice(0, SHOWN).map((r) => `${r.namespace}/${r.name}`);
    for (const d of graph.ofKind('Deployment')) {
      if (d.labels.app !== 'istiod') continue;
      const w = graph.workloads.of(d);
      const template = isRecord(d.spec.template) && isRecord(d.spec.template.spec) ? d.spec.template.spec : {};
      const containers = Array.isArray(template.containers) ? template.containers : [];
      const set = containers.some((c) => isRecord(c) && Array.isArray(c.env) && c.env.some((e) => isRecord(e) && e.name === ENV && typeof e.value === 'string' && e.value !== ''));
      if (set) continue;
      ctx.report(d, `${ENV} is not configured but ${ras.length} RequestAuthentication resource(s) exist (${listSome(names, SHOWN, ras.length)}); ` +
        `istiod will fetch JWKS from any address a policy names: set ${ENV} on its containers to block internal networks`, { path: w ? [...w.templatePath, 'spec', 'containers'] : ['spec'] });
    }
  },
};

export default jwksUriFetchUnrestricted;
