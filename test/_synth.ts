import { Chart, Testing } from 'cdk8s';
import type { Construct } from 'constructs';
import * as assert from 'uvu/assert';
import { PropError, type PropErrorCode } from '../src/constructs/_errors.js';

/** A synthesized Kubernetes object as plain JSON. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; spec?: any; [k: string]: any };

/** GIVEN a chart built by `build`, WHEN synthesized, THEN returns its objects in order. */
export function synth(build: (chart: Chart) => void, namespace = 'default'): Manifest[] {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace });
  build(chart);
  return Testing.synth(chart) as Manifest[];
}

/** The single object of `kind` named `name`; fails the test when there is none or several. */
export function only(objects: Manifest[], kind: string, name?: string): Manifest {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.is(found.length, 1, `expected exactly one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found[0]!;
}

/** Asserts `fn` throws a PropError with this code and field, whose message names path, field and value. */
export function throwsProp(fn: () => unknown, expected: { code: PropErrorCode; field: string; path?: string; value?: unknown }): PropError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof PropError, `expected a PropError, got ${caught === undefined ? 'no error' : String(caught)}`);
  const err = caught as PropError;
  assert.is(err.code, expected.code, err.message);
  assert.is(err.field, expected.field, err.message);
  assert.ok(err.message.includes(expected.field), `message should name the field: ${err.message}`);
  if (expected.path !== undefined) {
    assert.is(err.constructPath, expected.path, err.message);
    assert.ok(err.message.startsWith(`${expected.path}:`), `message should start with the construct path: ${err.message}`);
  }
  if (expected.value !== undefined) assert.equal(err.value, expected.value, err.message);
  return err;
}

export type { Construct };
