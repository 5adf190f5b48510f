import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MutualTlsGateway } from '../../src/constructs/mutual-tls-gateway.js';
import { StringMatch } from '../../src/constructs/string-match.js';
import { only, synth, throwsProp } from '../_synth.js';

const productpage = { host: 'productpage.bookinfo.svc.cluster.local', namespace: 'bookinfo', subsetNames: ['v1'], portNumbers: [9080] };

test('GIVEN a mutual-TLS gateway with defaults and one route WHEN synthesized THEN a MUTUAL TLS 1.2+ server, a redirecting HTTP server and a bound VirtualService', () => {
  const objects = synth((chart) => {
    const gw = new MutualTlsGateway(chart, 'bookinfo-gateway', { hosts: ['bookinfo.example.com', '*.partners.example.com'], credentialName: 'bookinfo-mtls' });
    gw.routes.addRoute({ name: 'productpage', match: [{ uri: StringMatch.prefix('/productpage') }], route: [{ destination: productpage }] });
  }, 'edge');
  const hosts = ['bookinfo.example.com', '*.partners.example.com'];
  assert.equal(objects.map((o) => `${o.kind}/${o.metadata.name}`), ['Gateway/bookinfo-gateway', 'VirtualService/bookinfo-gateway']);
  assert.equal(only(objects, 'Gateway'), {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'bookinfo-gateway', namespace: 'edge' },
    spec: {
      selector: { istio: 'ingressgateway' },
      servers: [
        {
          port: { number: 443, name: 'https', protocol: 'HTTPS' },
          hosts,
          tls: { mode: 'MUTUAL', credentialName: 'bookinfo-mtls', minProtocolVersion: 'TLSV1_2' },
        },
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts, tls: { httpsRedirect: true } },
      ],
    },
  });
  assert.equal(only(objects, 'VirtualService'), {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'bookinfo-gateway', namespace: 'edge' },
    spec: {
      hosts,
      gateways: ['edge/bookinfo-gateway'],
      http: [{
        name: 'productpage',
        match: [{ uri: { prefix: '/productpage' } }],
        route: [{ destination: { host: 'productpage.bookinfo.svc.cluster.local' } }],
      }],
    },
  });
});

test('GIVEN TLS 1.3 only, SANs, a custom selector, no redirect and explicit names WHEN synthesized THEN only the HTTPS server, configured as given', () => {
  const objects = synth((chart) => {
    new MutualTlsGateway(chart, 'gw', {
      hosts: ['api.example.com'],
      credentialName: 'api-cert',
      caCertCredentialName: 'partner-ca',
      minProtocolVersion: 'TLSV1_3',
      subjectAltNames: ['spiffe://partner.example.com/client'],
      selector: { app: 'partner-gateway' },
      httpsPort: 8443,
      httpsRedirect: false,
      name: 'partner-api',
      namespace: 'partners',
      routeTableName: 'partner-api-routes',
      defaultRoute: { route: [{ destination: productpage }] },
    });
  });
  assert.equal(only(objects, 'Gateway').spec, {
    selector: { app: 'partner-gateway' },
    servers: [{
      port: { number: 8443, name: 'https', protocol: 'HTTPS' },
      hosts: ['api.example.com'],
      tls: {
        mode: 'MUTUAL', credentialName: 'api-cert', caCertCredentialName: 'partner-ca',
        minProtocolVersion: 'TLSV1_3', subjectAltNames: ['spiffe://partner.example.com/client'],
      },
    }],
  });
  const vs = only(objects, 'VirtualService');
  assert.equal(vs.metadata, { name: 'partner-api-routes', namespace: 'partners' });
  assert.equal(vs.spec.gateways, ['partners/partner-api']);
});

test('GIVEN an insecure minimum TLS version WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((chart) => {
    new MutualTlsGateway(chart, 'gw', { hosts: ['a.example.com'], credentialName: 'c', minProtocolVersion: 'TLSV1_0' as never });
  }), { code: 'MP_INVALID_PROP', field: 'minProtocolVersion', path: 'test/gw', value: 'TLSV1_0' });
});

test('GIVEN a gateway with no routes added WHEN synthesized THEN validation reports the empty VirtualService', () => {
  assert.throws(() => synth((chart) => {
    new MutualTlsGateway(chart, 'gw', { hosts: ['a.example.com'], credentialName: 'c' });
  }), /VirtualService gw has no routes/);
});

test.run();
