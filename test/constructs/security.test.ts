import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AllowPolicy, DefaultDenyPolicy } from '../../src/constructs/authorization-policy.js';
import { ExternalService } from '../../src/constructs/external-service.js';
import { PeerAuthenticationPolicy, PolicyScope } from '../../src/constructs/peer-authentication.js';
import { SidecarScope } from '../../src/constructs/sidecar-scope.js';
import { only, synth, throwsProp } from '../_synth.js';

// PeerAuthentication

test('GIVEN mesh scope WHEN synthesized THEN a STRICT PeerAuthentication named default in istio-system without selector', () => {
  assert.equal(only(synth((c) => new PeerAuthenticationPolicy(c, 'mtls', { scope: PolicyScope.mesh() })), 'PeerAuthentication'), {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default', namespace: 'istio-system' },
    spec: { mtls: { mode: 'STRICT' } },
  });
});

test('GIVEN namespace scope and PERMISSIVE WHEN synthesized THEN the policy sits in that namespace without selector', () => {
  const pa = only(synth((c) => new PeerAuthenticationPolicy(c, 'mtls', { scope: PolicyScope.namespace('bookinfo'), mode: 'PERMISSIVE' })), 'PeerAuthentication');
  assert.equal(pa.metadata, { name: 'default', namespace: 'bookinfo' });
  assert.equal(pa.spec, { mtls: { mode: 'PERMISSIVE' } });
});

test('GIVEN workload scope with port-level modes WHEN synthesized THEN selector and portLevelMtls are set', () => {
  const pa = only(synth((c) => new PeerAuthenticationPolicy(c, 'mtls', {
    name: 'reviews', scope: PolicyScope.workload({ app: 'reviews' }), portLevelMtls: { 9090: 'DISABLE' },
  })), 'PeerAuthentication');
  assert.equal(pa.metadata, { name: 'reviews', namespace: 'default' });
  assert.equal(pa.spec, { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 9090: { mode: 'DISABLE' } } });
});

test('GIVEN portLevelMtls without a selector WHEN constructed THEN it is refused as Istio would', () => {
  throwsProp(() => synth((c) => new PeerAuthenticationPolicy(c, 'mtls', { scope: PolicyScope.namespace(), portLevelMtls: { 80: 'DISABLE' } })),
    { code: 'MP_INVALID_PROP', field: 'portLevelMtls', path: 'test/mtls' });
});

test('GIVEN workload scope without a name WHEN constructed THEN it is refused so it cannot shadow the namespace policy', () => {
  throwsProp(() => synth((c) => new PeerAuthenticationPolicy(c, 'mtls', { scope: PolicyScope.workload({ app: 'reviews' }) })),
    { code: 'MP_INVALID_NAME', field: 'name', path: 'test/mtls' });
});

// AuthorizationPolicy

test('GIVEN a DefaultDenyPolicy WHEN synthesized THEN an AuthorizationPolicy with an empty spec denies the namespace', () => {
  assert.equal(only(synth((c) => new DefaultDenyPolicy(c, 'deny', { namespace: 'bookinfo' })), 'AuthorizationPolicy'), {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'allow-nothing', namespace: 'bookinfo' },
    spec: {},
  });
});

test('GIVEN typed from/to/when rules WHEN synthesized THEN the AuthorizationPolicy mirrors them with ALLOW', () => {
  const ap = only(synth((c) => new AllowPolicy(c, 'allow', {
    name: 'reviews-readers',
    scope: PolicyScope.workload({ app: 'reviews' }),
    rules: [{
      from: [{ principals: ['cluster.local/ns/default/sa/productpage'] }, { namespaces: ['monitoring'], ipBlocks: ['10.0.0.0/8'] }],
      to: [{ methods: ['GET', 'HEAD'], paths: ['/reviews/*'], ports: [9080], hosts: ['reviews'] }],
      when: [{ key: 'request.headers[x-tenant]', values: ['acme'] }],
    }],
  })), 'AuthorizationPolicy');
  assert.equal(ap, {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'reviews-readers', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'reviews' } },
      action: 'ALLOW',
      rules: [{
        from: [
          { source: { principals: ['cluster.local/ns/default/sa/productpage'] } },
          { source: { namespaces: ['monitoring'], ipBlocks: ['10.0.0.0/8'] } },
        ],
        to: [{ operation: { methods: ['GET', 'HEAD'], paths: ['/reviews/*'], ports: ['9080'], hosts: ['reviews'] } }],
        when: [{ key: 'request.headers[x-tenant]', values: ['acme'] }],
      }],
    },
  });
});

test('GIVEN action DENY with a rule on all requests WHEN synthesized THEN it is accepted (deny-all is safe)', () => {
  const ap = only(synth((c) => new AllowPolicy(c, 'deny', { name: 'deny-admin', action: 'DENY', rules: [{ to: [{ paths: ['/admin*'] }] }] })), 'AuthorizationPolicy');
  assert.equal(ap.spec, { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] });
});

test('GIVEN action CUSTOM with a provider WHEN synthesized THEN provider.name is set', () => {
  const ap = only(synth((c) => new AllowPolicy(c, 'ext', {
    name: 'ext-authz', action: 'CUSTOM', provider: 'opa', rules: [{ to: [{ paths: ['/api/*'] }] }],
  })), 'AuthorizationPolicy');
  assert.equal(ap.spec, { action: 'CUSTOM', provider: { name: 'opa' }, rules: [{ to: [{ operation: { paths: ['/api/*'] } }] }] });
});

test('GIVEN allowAll true and no rules WHEN synthesized THEN the single empty rule allows everything', () => {
  const ap = only(synth((c) => new AllowPolicy(c, 'open', { name: 'allow-all', allowAll: true })), 'AuthorizationPolicy');
  assert.equal(ap.spec, { action: 'ALLOW', rules: [{}] });
});

test('GIVEN a rule whose every part is a wildcard WHEN constructed without allowAll THEN it is refused', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', {
    name: 'too-open', rules: [{ from: [{ ipBlocks: ['0.0.0.0/0'] }], to: [{ methods: ['*'], paths: ['*'] }] }],
  })), { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]', path: 'test/allow' });
});

test('GIVEN principals "*" alone WHEN constructed THEN it is refused: under STRICT mTLS every caller has a principal', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'mtls-only', rules: [{ from: [{ principals: ['*'] }] }] })),
    { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[0]', path: 'test/allow' });
});

test('GIVEN principals "*" narrowed by an operation WHEN synthesized THEN it is kept', () => {
  const ap = only(synth((c) => new AllowPolicy(c, 'allow', { name: 'mtls-get', rules: [{ from: [{ principals: ['*'] }], to: [{ methods: ['GET'] }] }] })), 'AuthorizationPolicy');
  assert.equal(ap.spec.rules, [{ from: [{ source: { principals: ['*'] } }], to: [{ operation: { methods: ['GET'] } }] }]);
});

test('GIVEN an ALLOW policy with no rules WHEN constructed THEN it is refused as allowing nothing', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'empty', rules: [] })),
    { code: 'MP_INVALID_PROP', field: 'rules', path: 'test/allow' });
});

test('GIVEN an empty source WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'x', rules: [{ from: [{}], to: [{ methods: ['GET'] }] }] })),
    { code: 'MP_INVALID_PROP', field: 'rules[0].from[0]' });
});

test('GIVEN an empty or blank value in principals, namespaces, hosts or a when condition WHEN constructed THEN MP_INVALID_PROP names that entry (Istio refuses empty values)', () => {
  const cases: [object, string, string][] = [
    [{ from: [{ principals: ['cluster.local/ns/shop/sa/web', ''] }] }, 'rules[0].from[0].principals[1]', ''],
    [{ from: [{ namespaces: ['  '] }] }, 'rules[0].from[0].namespaces[0]', '  '],
    [{ from: [{ principals: ['cluster.local/ns/shop/sa/web'] }], to: [{ hosts: [''] }] }, 'rules[0].to[0].hosts[0]', ''],
    [{ from: [{ principals: ['cluster.local/ns/shop/sa/web'] }], when: [{ key: 'request.headers[x-tenant]', values: [''] }] }, 'rules[0].when[0].values[0]', ''],
  ];
  for (const [rule, field, value] of cases) {
    const err = throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'x', rules: [rule] })), { code: 'MP_INVALID_PROP', field, path: 'test/allow', value });
    assert.match(err.message, /expected a non-blank value/);
  }
});

test('GIVEN a lower-case method WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'x', rules: [{ to: [{ methods: ['get'] }] }] })),
    { code: 'MP_INVALID_PROP', field: 'rules[0].to[0].methods[0]', value: 'get' });
});

test('GIVEN CUSTOM without provider WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'x', action: 'CUSTOM', rules: [{ to: [{ paths: ['/'] }] }] })),
    { code: 'MP_INVALID_PROP', field: 'provider' });
});

// Sidecar

test('GIVEN no props WHEN synthesized THEN a default Sidecar reaches its namespace and istio-system, REGISTRY_ONLY', () => {
  assert.equal(only(synth((c) => new SidecarScope(c, 'sidecar')), 'Sidecar'), {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Sidecar',
    metadata: { name: 'default', namespace: 'default' },
    spec: {
      egress: [{ hosts: ['./*', 'istio-system/*'] }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    },
  });
});

test('GIVEN a workload selector, routables and ALLOW_ANY WHEN synthesized THEN all three are reflected', () => {
  const sc = only(synth((c) => {
    const ext = new ExternalService(c, 'stripe', { name: 'stripe', hosts: ['api.stripe.com'], namespace: 'egress' });
    new SidecarScope(c, 'sidecar', {
      name: 'payments', workloadSelector: { app: 'payments' }, outboundTrafficPolicy: 'ALLOW_ANY',
      egressHosts: ['./*', '*/*.example.com', ext],
    });
  }), 'Sidecar');
  assert.equal(sc.metadata, { name: 'payments', namespace: 'default' });
  assert.equal(sc.spec, {
    workloadSelector: { labels: { app: 'payments' } },
    egress: [{ hosts: ['./*', '*/*.example.com', 'egress/api.stripe.com'] }],
    outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
  });
});

test('GIVEN an egress host with an invalid namespace part WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((c) => new SidecarScope(c, 'sidecar', { egressHosts: ['Bad_NS/*'] })),
    { code: 'MP_INVALID_HOST', field: 'egressHosts[0]', value: 'Bad_NS/*' });
});

test('GIVEN egress exclusions (~ns/*, ~./host, ~/host) WHEN synthesized THEN they are kept as written; a doubled ~, ~* or a bad namespace after ~ is refused', () => {
  const sc = only(synth((c) => new SidecarScope(c, 'sidecar', { egressHosts: ['*/*', '~legacy/*', '~./debug.example.com', '~/x.example.com', '~/*'] })), 'Sidecar');
  assert.equal((sc.spec as { egress: { hosts: string[] }[] }).egress[0]!.hosts, ['*/*', '~legacy/*', '~./debug.example.com', '~/x.example.com', '~/*']);
  for (const bad of ['~~/x.example.com', '~*/x.example.com', '~Bad_NS/*']) {
    throwsProp(() => synth((c) => new SidecarScope(c, 'sidecar', { egressHosts: [bad] })), { code: 'MP_INVALID_HOST', field: 'egressHosts[0]', value: bad });
  }
});

test.run();
