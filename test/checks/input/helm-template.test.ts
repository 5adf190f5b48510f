/**
 * Helm leftovers in the input: the run names the unrendered template and how to render it, instead of only
 * "document 0 has no metadata.name" or the YAML parser's "Implicit keys need to be on a single line", and the
 * `yaml` library's own Node warning ("Keys with collection values will be stringified") never reaches stderr.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli/main.js';
import { captureIO } from '../../cli/_io.js';

const UNQUOTED = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: {{ .Values.name }}
  namespace: shop
spec:
  hosts: [cart]
`;
const QUOTED = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: "{{ .Values.name }}"
  namespace: shop
spec:
  hosts: [cart]
  http:
    - route:
        - destination:
            host: cart
{{- if .Values.mirror }}
      mirror:
        host: cart
{{- end }}
`;
// Every {{ }} quoted: the file parses, and the object is named "{{ .Values.name }}".
const ALL_QUOTED = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: "{{ .Values.name }}"
  namespace: shop
spec:
  hosts: ["{{ .Values.host }}"]
`;
// A valid manifest whose strings hold braces (an EnvoyFilter Lua script, Argo templating) gets no hint.
const BRACES_IN_STRINGS = `apiVersion: v1
kind: ConfigMap
metadata: {name: tpl, namespace: shop}
data:
  message: "{{ .Values.kept }} is data here"
`;

const dir = mkdtempSync(path.join(tmpdir(), 'meshproof-helm-'));
writeFileSync(path.join(dir, 'unquoted.yaml'), UNQUOTED);
writeFileSync(path.join(dir, 'quoted.yaml'), QUOTED);
writeFileSync(path.join(dir, 'fine.yaml'), BRACES_IN_STRINGS);
writeFileSync(path.join(dir, 'all-quoted.yaml'), ALL_QUOTED);

async function check(file: string): Promise<{ code: number; out: string; findings: { ruleId: string; message: string; location: { line: number } }[] }> {
  const io = captureIO(dir);
  const code = await main(['check', file, '--config', '/dev/null', '--format', 'json'], io.io);
  return { code, out: io.stdout() + io.stderr(), findings: (JSON.parse(io.stdout()) as { findings: { ruleId: string; message: string; location: { line: number } }[] }).findings };
}

test('GIVEN name: {{ .Values.name }} unquoted WHEN checked THEN input/template on line 4 says to render it, exit 2', async () => {
  const r = await check('unquoted.yaml');
  assert.is(r.code, 2);
  const hint = r.findings.filter((f) => f.ruleId === 'input/template');
  assert.is(hint.length, 1, r.out);
  assert.is(hint[0]!.location.line, 4);
  assert.match(hint[0]!.message, '"{{ .Values.name }}" looks like an unrendered Helm/Go template');
  assert.match(hint[0]!.message, 'helm template');
});

test('GIVEN quoted values and {{- if }} lines WHEN checked THEN the hint points at the line that broke the YAML', async () => {
  const r = await check('quoted.yaml');
  assert.is(r.code, 2);
  const hint = r.findings.filter((f) => f.ruleId === 'input/template');
  assert.equal(hint.map((f) => f.location.line), [12], r.out);
  assert.match(hint[0]!.message, '"{{- if .Values.mirror }}"');
});

test('GIVEN a template with every {{ }} quoted (it parses) WHEN checked THEN the object named "{{ .Values.name }}" brings the hint, exit 2', async () => {
  const r = await check('all-quoted.yaml');
  assert.is(r.code, 2);
  assert.equal(r.findings.filter((f) => f.ruleId === 'input/template').map((f) => f.location.line), [4], r.out);
});

test('GIVEN braces inside string values of a valid manifest WHEN checked THEN no template hint', async () => {
  const r = await check('fine.yaml');
  assert.equal(r.findings.filter((f) => f.ruleId === 'input/template'), []);
});

test('GIVEN a collection used as a map key WHEN the CLI runs THEN stderr has no Node "Keys with collection values" warning', () => {
  const cli = path.resolve(import.meta.dirname, '../../../scripts/dev-cli.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'check', path.join(dir, 'unquoted.yaml'), '--config', '/dev/null'], {
    cwd: path.resolve(import.meta.dirname, '../../..'), encoding: 'utf8', timeout: 60_000,
  });
  assert.is(r.status, 2, r.stderr);
  assert.not.match(r.stderr, 'Keys with collection values');
  assert.not.match(r.stderr, 'Warning:');
  assert.match(r.stdout, 'input/template');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
