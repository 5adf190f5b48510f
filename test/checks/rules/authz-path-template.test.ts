/**
 * validation/authorization-policy-structure: pathTemplateProblem follows Istio's security.CheckValidPathTemplate
 * (pkg/config/security/security.go), on the inputs of Istio's own TestCheckValidPathTemplate and a few more.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pathTemplateProblem } from '../../../src/checks/rules/validation/_authz-operations.js';

const CASES: [string, boolean][] = [
  // Istio's TestCheckValidPathTemplate (true: refused).
  ['/{*}/foo', false], ['/{*}/foo/', false], ['/foo/{**}/bar', false], ['/foo/bar/{**}', false],
  ['/foo/{**}buzz/bar', true], ['/{*}/foo/{}/bar', true], ['/foo/{*}/bar/*', true], ['/foo/{*}/bar/**/buzz', true],
  ['/foo/{buzz}/bar', true], ['/{buzz}', true], ['/foo/{buzz}/bar/{**}', true], ['/foo/{buzz=*}/bar/{**}', true],
  ['/{*}/foo/{buzz=**}/bar', true], ['/{*}/foo/{**}bar', true], ['/{*}/foo/{*}.txt', true], ['/{*}/foo/{temp', true],
  ['/{*}/foo/temp}/bar', true], ['/{*}/foo/temp}/*', true], ['/{**}/foo/temp/{*}/bar', true], ['/{**}/{**}', true],
  ['/{**}/foo/temp/{**}/bar', true], ['/{*}/foo/?abc', true],
  // Paths without templates are not read as templates: * and empty segments pass.
  ['/api/*', false], ['*/admin', false], ['/a//b', false], ['/', false],
  // A templated path with an empty segment does not.
  ['/api//{*}', true],
];
for (const [path, refused] of CASES) {
  test(`GIVEN path ${path} WHEN checked THEN ${refused ? 'refused' : 'accepted'}`, () => {
    const problem = pathTemplateProblem(path, 'Paths');
    assert.is(problem !== undefined, refused, String(problem));
    if (problem) assert.ok(problem.startsWith(`invalid or unsupported path ${path.replace(/^\/+|\/+$/g, '')}, found in Paths. `), problem);
  });
}

test.run();
