import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toMeshObject } from '../../src/mesh/object.js';
import { statusConditions } from '../../src/mesh/status-conditions.js';

const obj = (status: unknown) => toMeshObject({
  body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'shop' }, status },
  file: 'x.yaml', docIndex: 0, itemIndex: null, location: { file: 'x.yaml', line: 1, column: 1 }, source: null, locate: () => ({ file: 'x.yaml', line: 1, column: 1 }),
} as never);

test('GIVEN statuses WHEN read as istioctl decodes them THEN conditions, or why none are read', () => {
  const ok = statusConditions(obj({ conditions: [{ type: 'A', status: 'False', reason: 'R', message: 'M', lastTransitionTime: '2026-01-01T00:00:00Z' }] }), 'conditions', false);
  assert.equal('conditions' in ok ? ok.conditions.map((c) => [c.type, c.status, c.path]) : ok, [['A', 'False', ['status', 'conditions', 0]]]);
  assert.equal(statusConditions(obj(undefined), 'conditions', false), { conditions: [] });
  assert.ok('unreadable' in statusConditions(obj({ conditions: [{ type: 'A', status: false }] }), 'conditions', false), 'unquoted False');
  assert.ok('unreadable' in statusConditions(obj({ conditions: [{ type: 'A', status: 'False', lastTransitionTime: 'yesterday' }] }), 'conditions', false), 'time');
  assert.ok('unreadable' in statusConditions(obj({ conditions: [{ type: 'A', status: 'False', observedGeneration: '3' }] }), 'conditions', false), 'int64 as string, Kubernetes condition');
  assert.ok('conditions' in statusConditions(obj({ conditions: [{ type: 'A', status: 'False', observedGeneration: '3', last_transition_time: '2026-01-01T00:00:00.5+02:00' }] }), 'conditions', true), 'jsonpb takes both');
  assert.ok('unreadable' in statusConditions(obj({ conditions: [{ type: 'A', status: 'False', last_transition_time: 'now' }] }), 'conditions', true), 'jsonpb proto name, bad time');
  const parents = statusConditions(obj({ parents: [{ conditions: [{ type: 'Accepted', status: 'True' }] }, { conditions: [{ type: 'Accepted', status: 'False' }] }] }), 'parents', false);
  assert.equal('conditions' in parents ? parents.conditions.map((c) => c.path) : parents, [['status', 'parents', 0, 'conditions', 0], ['status', 'parents', 1, 'conditions', 0]]);
});

test.run();
