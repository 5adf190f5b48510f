/**
 * MeshConfig enum fields written as numbers, as istiod reads them: pkg/config/mesh ApplyMeshConfig decodes data.mesh
 * with protomarshal.ApplyYAML (golang/protobuf jsonpb), which takes any whole 32-bit number for an enum field as its
 * number. A value's number stands for its name; a fraction or a number beyond int32 fails the decode (istiod
 * refuses the MeshConfig); a 32-bit number that is no value of the (open, proto3) enum is accepted but means nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMeshConfig, pathNormalizationOf } from '../../src/mesh/mesh-config.js';

const read = (text: string) => parseMeshConfig(text, 'mesh.yaml', { unknownFields: 'ignore' });

test('GIVEN enum fields written as the numbers of their values WHEN read as istiod reads data.mesh THEN each is that value, with no problem', () => {
  const { meshConfig, problems } = read([
    'accessLogEncoding: 1', 'h2UpgradePolicy: 1', 'ingressControllerMode: 3',
    'outboundTrafficPolicy: {mode: 0}', 'inboundTrafficPolicy: {mode: 1}', 'pathNormalization: {normalization: 1}',
  ].join('\n'));
  assert.equal(problems, []);
  assert.equal([meshConfig.raw.accessLogEncoding, meshConfig.raw.h2UpgradePolicy, meshConfig.raw.ingressControllerMode], ['JSON', 'UPGRADE', 'STRICT']);
  assert.equal([meshConfig.outboundTrafficPolicy.mode, (meshConfig.raw.inboundTrafficPolicy as { mode: unknown }).mode, pathNormalizationOf(meshConfig)], ['REGISTRY_ONLY', 'LOCALHOST', 'NONE']);
});

test('GIVEN the same numbers in a --mesh-config file (read strictly) WHEN parsed THEN they are accepted too (istioctl decodes it the same way)', () => {
  const { meshConfig, problems } = parseMeshConfig('accessLogEncoding: 1\noutboundTrafficPolicy:\n  mode: 0\n', 'mesh.yaml');
  assert.equal(problems, []);
  assert.equal([meshConfig.raw.accessLogEncoding, meshConfig.outboundTrafficPolicy.mode], ['JSON', 'REGISTRY_ONLY']);
});

test('GIVEN an enum number that is a fraction or beyond 32 bits WHEN read THEN istiod refuses the MeshConfig: a problem at its line naming the values', () => {
  for (const v of ['1.5', '4294967296']) {
    const { meshConfig, problems } = read(`rootNamespace: mesh-root\naccessLogEncoding: ${v}\n`);
    assert.equal(problems.map((p) => [p.code, p.location.line, p.acceptedByIstiod ?? false]), [['mesh-config/bad-value', 2, false]], v);
    assert.ok(problems[0]!.message.includes('TEXT (0), JSON (1)'), problems[0]!.message);
    assert.is(meshConfig.rootNamespace, 'istio-system', `${v}: the whole MeshConfig is ignored`);
  }
});

test('GIVEN a 32-bit enum number that is no value of the enum WHEN read THEN a problem istiod accepts, the rest applied and the field at its default', () => {
  const { meshConfig, problems } = read('rootNamespace: mesh-root\noutboundTrafficPolicy:\n  mode: 7\n');
  assert.equal(problems.map((p) => [p.code, p.location.line, p.acceptedByIstiod]), [['mesh-config/bad-value', 3, true]]);
  assert.ok(problems[0]!.message.includes('REGISTRY_ONLY (0), ALLOW_ANY (1)'), problems[0]!.message);
  assert.equal([meshConfig.rootNamespace, meshConfig.outboundTrafficPolicy.mode], ['mesh-root', 'ALLOW_ANY']);
});

test.run();
