/**
 * The check steps of the scaffold's PR workflow (`templates/project/dot-github/workflows/mesh-gate.yml`,
 * `%%CHECK_STEPS%%`), as YAML list items indented for that file's `steps:`.
 *
 * Without `--action`, the workflow runs the meshproof the project installed (`npm ci` put it in
 * node_modules): the same version that synthesized dist/, and nothing to fetch from a repository
 * the user may not have. `--action <owner>/meshproof@<ref>` uses the GitHub Action instead, which
 * adds the job summary, the semantic diff and ranked annotations.
 */
export function checkSteps(action: string | undefined): string {
  if (action !== undefined) {
    return [
      '      - name: Check the mesh',
      `        uses: ${action}`,
      '        with:',
      '          paths: dist',
      '          fail-on: error',
      '          # Prove the traffic (meshproof verify) once the checks pass; the report joins the job summary.',
      "          verify: 'true'",
    ].join('\n');
  }
  return [
    '      # The meshproof of package.json (installed by npm ci above), the version that synthesized dist/.',
    '      - name: Check the mesh (SARIF for code scanning)',
    '        id: sarif',
    '        run: npx meshproof check dist --format sarif --output "$RUNNER_TEMP/meshproof.sarif" --fail-on none',
    '      - name: Upload SARIF',
    "        if: always() && steps.sarif.outcome == 'success'",
    '        uses: github/codeql-action/upload-sarif@v3',
    '        with:',
    '          sarif_file: ${{ runner.temp }}/meshproof.sarif',
    '          category: meshproof',
    '      - name: Check the mesh (PR annotations; fails on errors)',
    '        run: npx meshproof check dist --format github --fail-on error',
    '      - name: Prove the traffic (meshproof verify)',
    '        run: npx meshproof verify',
  ].join('\n');
}
