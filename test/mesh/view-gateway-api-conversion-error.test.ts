/**
 * A Gateway API route whose conversion istiod fails as a whole (an unsupported filter: conversion.go "unsupported
 * filter type", a hard error in route_collections.go computeRoute) yields nothing for any proxy, so the view does
 * not list it among the routes that name the proxy's Gateway or a visible Service.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';
import { svc } from './view-fixtures.js';

const client = describeProxy({ name: 'client', namespace: 'web', labels: { app: 'client' } });
const router = describeProxy({ type: 'router', name: 'public-istio', namespace: 'edge', labels: { 'gateway.networking.k8s.io/gateway-name': 'public' } });

const httpRoute = (name: string, namespace: string, parentRef: Record<string, unknown>, filters: unknown[]) => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace },
  spec: { parentRefs: [parentRef], rules: [{ filters, backendRefs: [{ name: 'reviews', namespace: 'prod', port: 9080 }] }] },
});

test('GIVEN HTTPRoutes with an ExtensionRef rule filter or a RequestMirror inside a backendRef WHEN viewed THEN only the route istiod converts is listed', () => {
  const extensionRef = [{ type: 'ExtensionRef', extensionRef: { group: 'gateway.envoyproxy.io', kind: 'HTTPRouteFilter', name: 'auth' } }];
  const g = graphOf([
    svc('reviews', 'prod'),
    httpRoute('mesh-ok', 'prod', { kind: 'Service', group: '', name: 'reviews' }, [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x', value: '1' }] } }]),
    httpRoute('mesh-dropped', 'prod', { kind: 'Service', group: '', name: 'reviews' }, extensionRef),
    httpRoute('edge-dropped', 'edge', { name: 'public' }, extensionRef),
    {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'edge-mirror-on-backend', namespace: 'edge' },
      spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [{ name: 'reviews', namespace: 'prod', port: 9080, filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'reviews', namespace: 'prod', port: 9080 } } }] }] }] },
    },
    httpRoute('edge-ok', 'edge', { name: 'public' }, []),
  ]);
  const names = (v: ReturnType<typeof buildProxyView>) => v.gatewayApiRoutes.map((r) => r.origin.ref?.name);
  assert.equal(names(buildProxyView(g, client)), ['mesh-ok']);
  assert.equal(names(buildProxyView(g, router)), ['edge-ok']);
});

test.run();
