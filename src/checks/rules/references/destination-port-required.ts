import type { Rule } from '../../rule.js';
import { analyzerDestination } from './_analyzer-destination.js';
import { destinationsOf, hostOf, portOf } from './_helpers.js';

/** `references/destination-port-required` (IST0112): a destination to a multi-port service names its port. */
const destinationPortRequired: Rule = {
  id: 'references/destination-port-required',
  istioCode: 'IST0112',
  severity: 'error',
  summary: 'A VirtualService destination or mirror without `port` targets a service that exposes more than one port.',
  docs: [
    'When a destination has no `port`, Istio can only pick the port on its own if the service has exactly one.',
    'For a service with several ports the sidecar falls back to the port of the listener that received the',
    'request, so the same route silently sends traffic to different ports depending on how it was reached, and',
    'to no cluster at all when that port does not exist on the destination. The service is the one `istioctl analyze`',
    'finds first for the host (exported to `*` before the VirtualService\'s namespaces), and every port entry counts',
    '(53/TCP and 53/UDP are two). Fix: set',
    '`destination.port.number` to one of the ports the Service or ServiceEntry exposes.',
    'Destinations whose host does not resolve are left to `references/destination-host-exists`. Mirrors `istioctl analyze` IST0112.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { destination, path, what } of destinationsOf(vs)) {
        const host = hostOf(destination);
        if (host === undefined || portOf(destination) !== undefined) continue;
        const service = analyzerDestination(graph, vs, host)?.service;
        if (!service || service.ports.length <= 1) continue;
        const named = service.ports.map((p) => (p.name ? `${p.number} (${p.name})` : `${p.number}`));
        ctx.report(
          vs,
          `${what === 'mirror' ? 'Mirror' : 'Destination'} "${host}" has no port, but the service exposes ports ${named.join(', ')}; ` +
            `set port.number to the one this route is for, or traffic goes to whichever port the request arrived on`,
          { path: [...path, 'host'] },
        );
      }
    }
  },
};

export default destinationPortRequired;
