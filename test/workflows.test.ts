import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = path.resolve(import.meta.dirname, '..');
const schema = (name: string) => JSON.parse(fs.readFileSync(path.join(root, 'schemas/github', name), 'utf8'));

function validator(name: string) {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema(name));
}

const workflows = fs.readdirSync(path.join(root, '.github/workflows')).filter((f) => /\.ya?ml$/.test(f)).sort();

test('GIVEN the repository WHEN listing workflows THEN ci and the PR gate exist', () => {
  assert.ok(workflows.includes('ci.yml'));
  assert.ok(workflows.includes('mesh-gate.yml'));
});

for (const file of workflows) {
  test(`GIVEN .github/workflows/${file} WHEN validated against SchemaStore's workflow schema THEN it is valid`, () => {
    const validate = validator('github-workflow.json');
    const ok = validate(parse(fs.readFileSync(path.join(root, '.github/workflows', file), 'utf8')));
    assert.ok(ok, JSON.stringify(validate.errors?.slice(0, 3)));
  });
}

test('GIVEN action.yml WHEN validated against SchemaStore\'s action schema THEN it is valid', () => {
  const validate = validator('github-action.json');
  const ok = validate(parse(fs.readFileSync(path.join(root, 'action.yml'), 'utf8')));
  assert.ok(ok, JSON.stringify(validate.errors?.slice(0, 3)));
});

test('GIVEN a workflow with a typo in a key WHEN validated THEN the schema rejects it', () => {
  const validate = validator('github-workflow.json');
  assert.not.ok(validate({ on: 'push', jobs: { a: { 'runs-onn': 'ubuntu-latest', steps: [{ run: 'true' }] } } }));
});

test('GIVEN ci.yml WHEN read THEN it runs exactly the README test command after npm ci', () => {
  const ci = parse(fs.readFileSync(path.join(root, '.github/workflows/ci.yml'), 'utf8'));
  const runs = ci.jobs.test.steps.map((s: { run?: string }) => s.run).filter(Boolean);
  assert.equal(runs, ['npm ci', 'npm test']);
});

test.run();
