import type { ManifestObject } from '../../src/mesh/parse.js';
import { MeshGraph, type GraphOptions } from '../../src/mesh/graph.js';

/**
 * Manifest objects from plain bodies, without the YAML loader: object `i` starts on line
 * `100*i + 1` and `locate(path)` answers line `100*i + 1 + path.length`, so tests can tell which
 * object and how deep a location points.
 */
export function manifests(...bodies: Record<string, unknown>[]): ManifestObject[] {
  return bodies.map((body, i) => ({
    body,
    file: 'test.yaml',
    docIndex: i,
    itemIndex: null,
    location: { file: 'test.yaml', line: 100 * i + 1, column: 1 },
    locate: (path) => ({ file: 'test.yaml', line: 100 * i + 1 + path.length, column: 1 }),
    source: null,
  }));
}

/** A graph of plain bodies. */
export function graphOf(bodies: Record<string, unknown>[], opts?: GraphOptions): MeshGraph {
  return MeshGraph.from(manifests(...bodies), opts);
}
