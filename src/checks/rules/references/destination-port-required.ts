import type { Rule } from '../../rule.js';
import { destinationsOf, hostOf, portNumbers, portOf } from './_helpers.js';

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
    'to no cluster at all when that port does not exist on the destination. Fix: set',
    '`destination.port.number` to one of the ports the Service or ServiceEntry exposes.',
    'Destinations whose host does not resolve are left to `references/destination-host-exists`. Mirrors `istioctl analyze` IST0112.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      for (const { destination, path, what } of destinationsOf(vs)) {
        const host = hostOf(destination);
        if (host === undefined || portOf(destination) !== undefined) continue;
        const services = graph.servicesForHost(host, vs.namespace);
        const ports = portNumbers(services);
        if (ports.length <= 1) continue;
        const named = ports.map((n) => {
          const name = services.flatMap((s) => s.ports).find((p) => p.number === n && p.name !== '')?.name;
          return name ? `${n} (${name})` : `${n}`;
        });
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
