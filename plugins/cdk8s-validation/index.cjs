// cdk8s-cli loads validation plugins with require() and awaits `validate(context)`. meshproof is
// ESM TypeScript, so this CommonJS shim loads it through tsx and hands the context over.
'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');

class MeshproofValidation {
  constructor(properties) {
    this.properties = properties || {};
  }

  async validate(context) {
    const { tsImport } = await import('tsx/esm/api');
    const entry = pathToFileURL(path.join(__dirname, '../../src/checks/cdk8s-plugin.ts')).href;
    const plugin = await tsImport(entry, pathToFileURL(__filename).href);
    await plugin.validateManifests(context, this.properties);
  }
}

module.exports = { MeshproofValidation };
