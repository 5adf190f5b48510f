/**
 * Gateway API attachment by hostname (NoMatchingListenerHostname): a route with `hostnames` is accepted
 * only by a listener whose `hostname` intersects one of them; a listener without hostname takes every
 * host, and `*.` names match by suffix (both ways).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listenerRejection } from '../../../src/mesh/gateway-api-attachment.js';
import type { MeshObject } from '../../../src/mesh/object.js';

const gateway = (listeners: Record<string, unknown>[]) => ({ kind: 'Gateway', namespace: 'shop', name: 'edge', spec: { listeners } }) as unknown as MeshObject;
const https = (hostname?: string, name = 'https') => ({ name, port: 443, protocol: 'HTTPS', ...(hostname ? { hostname } : {}) });

const TABLE: readonly [what: string, listeners: Record<string, unknown>[], hostnames: string[], section: string | undefined, want: string | undefined][] = [
  ['other host', [https('shop.example.com')], ['api.example.com'], undefined, 'hostname'],
  ['route wildcard over listener host', [https('shop.example.com')], ['*.example.com'], undefined, undefined],
  ['listener wildcard over route host', [https('*.example.com')], ['shop.example.com'], undefined, undefined],
  ['wildcard does not take the bare domain', [https('*.example.com')], ['example.com'], undefined, 'hostname'],
  ['listener without hostname', [https()], ['api.example.com'], undefined, undefined],
  ['route without hostnames', [https('shop.example.com')], [], undefined, undefined],
  ['one of two listeners fits', [https('shop.example.com'), https('api.example.com', 'api')], ['api.example.com'], undefined, undefined],
  ['the named listener does not fit', [https('shop.example.com'), https('api.example.com', 'api')], ['api.example.com'], 'https', 'hostname'],
  ['case differs', [https('Shop.Example.com')], ['shop.example.com'], undefined, undefined],
];

for (const [what, listeners, hostnames, section, want] of TABLE) {
  test(`GIVEN ${what} WHEN an HTTPRoute in shop attaches THEN ${want ?? 'accepted'}`, () => {
    assert.is(listenerRejection(gateway(listeners), 'HTTPRoute', 'shop', section, undefined, undefined, hostnames), want);
  });
}

test.run();
