import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding meshproof's own package.json, whether this module runs from the TypeScript
 * sources (`src/`, in this repository) or from the compiled package (`lib/src/`, once installed).
 * Data files the package ships (`schemas/`, `templates/`, `package.json`) are resolved against it.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`meshproof: cannot find the package root above ${fileURLToPath(import.meta.url)}; the installation is incomplete, reinstall meshproof`);
}

export const PACKAGE_ROOT: string = findPackageRoot();

/** An absolute path to a file the package ships, e.g. `packagePath('schemas', 'istio', 'crd-all.gen.yaml')`. */
export function packagePath(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}
