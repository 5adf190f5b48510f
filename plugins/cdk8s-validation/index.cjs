// cdk8s-cli loads validation plugins with require() and awaits `validate(context)`. meshproof is an
// ES module, so this CommonJS shim imports the compiled plugin and hands the context over. Wire it
// in cdk8s.yaml as `package: meshproof/cdk8s-plugin` (or a path to this file), class MeshproofValidation.
'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');

class MeshproofValidation {
  constructor(properties) {
    this.properties = properties || {};
  }

  async validate(context) {
    const entry = pathToFileURL(path.join(__dirname, '../../lib/src/checks/cdk8s-plugin.js')).href;
    const plugin = await import(entry);
    await plugin.validateManifests(context, this.properties);
  }
}

module.exports = { MeshproofValidation };
