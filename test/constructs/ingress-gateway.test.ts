import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IngressGateway } from '../../src/constructs/ingress-gateway.js';
import { only, synth, throwsProp } from '../_synth.js';

test('GIVEN an IngressGateway with defaults WHEN synthesized THEN the HTTPS server is SIMPLE TLS 1.2+ and port 80 redirects', () => {
  const objects = synth((chart) => {
    const gw = new IngressGateway(chart, 'web', { hosts: ['bookinfo.app'], credentialName: 'bookinfo-cert' });
    gw.routes.addRoute({ route: [{ destination: { host: 'productpage.default.svc.cluster.local' } }] });
  });
  assert.equal(only(objects, 'Gateway', 'web').spec, {
    selector: { istio: 'ingressgateway' },
    servers: [
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['bookinfo.app'], tls: { mode: 'SIMPLE', credentialName: 'bookinfo-cert', minProtocolVersion: 'TLSV1_2' } },
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['bookinfo.app'], tls: { httpsRedirect: true } },
    ],
  });
  assert.equal(only(objects, 'VirtualService', 'web').spec.gateways, ['default/web']);
});

test('GIVEN client-certificate settings on a SIMPLE gateway WHEN constructed THEN it throws naming tlsMode MUTUAL', () => {
  const err = throwsProp(() => synth((chart) => {
    new IngressGateway(chart, 'web', { hosts: ['bookinfo.app'], credentialName: 'c', subjectAltNames: ['spiffe://x'] });
  }), { code: 'MP_INVALID_PROP', field: 'subjectAltNames', path: 'test/web' });
  assert.match(err.message, /tlsMode MUTUAL/);
});

test.run();
