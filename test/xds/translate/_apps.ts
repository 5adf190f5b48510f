/** The apps in dist/ as graphs, with every proxy's view (loaded once per test process). */
import fs from 'node:fs';
import path from 'node:path';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import { buildProxyView, proxiesOf, type ProxyView } from '../../../src/mesh/view/index.js';

export const DIST = path.resolve(import.meta.dirname, '../../../dist');

/** App names (`dist/<app>.k8s.yaml`), sorted. */
export function appNames(): string[] {
  return fs.readdirSync(DIST).filter((f) => f.endsWith('.k8s.yaml')).map((f) => f.slice(0, -'.k8s.yaml'.length)).sort();
}

/** The graph of one app's manifests. */
export async function appGraph(app: string): Promise<MeshGraph> {
  const loaded = await loadInputs([path.join(DIST, `${app}.k8s.yaml`)]);
  return MeshGraph.from(loaded.files);
}

/** Every proxy's view in one app. */
export async function appViews(app: string): Promise<ProxyView[]> {
  const g = await appGraph(app);
  return proxiesOf(g).map((p) => buildProxyView(g, p));
}
