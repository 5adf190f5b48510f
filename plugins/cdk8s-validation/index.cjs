// cdk8s-cli loads validation plugins with require() and awaits `validate(context)`. meshproof is an
// ES module, so this CommonJS shim imports the compiled code and hands the context over.
//
// Wire it in cdk8s.yaml through the installed package, as a local path (cdk8s-cli installs any
// other package reference from npm into ~/.cdk8s instead of using yours):
//   validations:
//     - package: ./node_modules/meshproof/plugins/cdk8s-validation
//       class: MeshproofValidation
//       version: <meshproof version>
//
// With cdk8s.yaml `output: .meshproof/synth`, MeshApp stages the synth there and leaves publishing
// to this plugin: the checks run on the stage (reported under the final `dist/…` paths), and
// `dist/` plus `.meshproof/sourcemap.json` are replaced when cdk8s exits successfully, that is
// after every validation plugin has passed. Any failure discards the stage.
'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const lib = (file) => import(pathToFileURL(path.join(__dirname, '../../lib/src', file)).href);

class MeshproofValidation {
  constructor(properties) {
    this.properties = properties || {};
  }

  async validate(context) {
    const [{ validateManifests }, promote] = await Promise.all([lib('checks/cdk8s-plugin.js'), lib('app/promote.js')]);
    const root = process.cwd();
    const stageRoot = path.join(root, promote.STAGE_DIR);
    const stage = promote.readStage(stageRoot);
    const staged = stage !== undefined && context.manifests.every((m) => !path.relative(stageRoot, path.resolve(root, m)).startsWith('..'));
    if (!staged) {
      await validateManifests(context, this.properties);
      return;
    }
    // Seen from the stage root, the stage is the project: `dist/x.k8s.yaml` and its source map.
    const manifests = context.manifests.map((m) => path.relative(stageRoot, path.resolve(root, m)));
    let passed = false;
    try {
      await validateManifests(Object.create(context, { manifests: { value: manifests } }), this.properties, stageRoot);
      passed = context.report.success;
    } finally {
      process.once('exit', (code) => publishOrDiscard(promote, root, stageRoot, stage, passed && code === 0));
    }
  }
}

function publishOrDiscard(promote, root, stageRoot, stage, publish) {
  const fs = require('node:fs');
  try {
    if (publish) {
      const { removed } = promote.promote(root, stageRoot);
      const extra = stage.sourceMap ? `, ${promote.SOURCE_MAP_PATH} and ${promote.EXPECTATIONS_PATH} (commit them together)` : '';
      process.stdout.write(`meshproof: published ${stage.outdir}/${extra}\n`);
      const notice = promote.removedNotice(stage.outdir, removed);
      if (notice) process.stderr.write(`${notice}\n`);
    } else {
      fs.rmSync(stageRoot, { recursive: true, force: true });
      process.stderr.write(`meshproof: synth failed; ${stage.outdir}/ and ${promote.SOURCE_MAP_PATH} are unchanged\n`);
    }
  } catch (e) {
    promote.recoverPromotion(root);
    // The stage is this run's: a failed publish discards it too (the next synth makes a new one).
    try { fs.rmSync(stageRoot, { recursive: true, force: true }); } catch { /* left for the next synth, which clears it */ }
    const code = e && typeof e === 'object' ? e.code : undefined;
    const fix = code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? `make ${stage.outdir}/ and .meshproof/ writable by this user, then synth again`
      : 'fix the cause above, then synth again';
    process.stderr.write(`meshproof: could not publish ${stage.outdir}/ (${e instanceof Error ? e.message : String(e)}); the previous output is unchanged; ${fix}\n`);
    process.exitCode = 1;
  }
}

module.exports = { MeshproofValidation, publishOrDiscard };
