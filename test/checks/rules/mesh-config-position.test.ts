/**
 * validation/mesh-config points at the line inside `data.mesh` when the MeshConfig is a block
 * literal (`mesh: |`), whatever line endings the file has.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/validation/mesh-config.js';
import { findingsOf } from './_harness.js';

const CONFIG_MAP = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: istio',
  '  namespace: istio-system',
  'data:',
  '  mesh: |',
  '    trustDomain: corp.example',
  '    connectTimeout: fast',
  '',
];

test('GIVEN the istio ConfigMap with CRLF line endings WHEN checked THEN the finding points at the bad field\'s line inside data.mesh, as with LF', async () => {
  for (const eol of ['\n', '\r\n']) {
    const found = await findingsOf(CONFIG_MAP.join(eol), [rule]);
    assert.is(found.length, 1, JSON.stringify(eol));
    assert.is(found[0]!.location.line, 9, `${JSON.stringify(eol)}: the line of connectTimeout`);
    assert.is(found[0]!.location.column, 5, JSON.stringify(eol));
    assert.not.match(found[0]!.message, /of data\.mesh\)/, 'no fallback to "line N of data.mesh"');
  }
});

test.run();
