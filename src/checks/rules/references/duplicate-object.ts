import type { MeshGraph } from '../../../mesh/graph.js';
import { sourceAt } from '../../../mesh/types.js';
import type { Rule } from '../../rule.js';
import type { Finding } from '../../types.js';

/**
 * `references/duplicate-object`: the same kind, namespace and name defined more than once in the input
 * (`MeshGraph.duplicates`). Reported on each extra copy, naming where the first one is; the first copy is
 * the one the other rules check.
 */
const duplicateObject: Rule = {
  id: 'references/duplicate-object',
  severity: 'error',
  summary: 'The same object (kind, namespace, name) is defined more than once in the input; only one copy is applied.',
  docs: [
    'Kubernetes keeps one object per kind, namespace and name: `kubectl apply` applies each copy in turn and the last',
    'one wins, Argo CD and Flux refuse or keep one of them ("appeared 2 times"). Which copy reaches the cluster depends',
    'on file order, and meshproof checks only the first. This is almost always a copied file or a renamed object that',
    'kept its old name. Fix: delete one copy, or rename it (`metadata.name`) if both are meant to exist.',
    'A copy in a `--context` file (the platform repository) is reported on the input copy instead, since nothing is',
    'reported on context files: in GitOps that is two Argo CD applications owning one object (the last sync wins).',
  ].join(' '),
  kinds: ['*'],
  check(graph, ctx) {
    for (const d of graph.duplicates) {
      const first = graph.get(d.kind, d.namespace, d.name);
      if (!first || first.group !== d.group) continue;
      const at = `${first.location.file}:${first.location.line}`;
      const where = d.namespace === '' ? d.name : `${d.namespace}/${d.name}`;
      ctx.report(d, `${d.kind} ${where} is defined twice: here and at ${at}; only one copy is applied (kubectl apply keeps the last, Argo CD refuses or keeps one) and meshproof checks the one at ${at}. Delete one copy or rename it`);
    }
  },
};

/**
 * The finding `check` reports when the extra copy `f` sits in a context file (where nothing is reported):
 * moved onto the input copy, which the model keeps and the rules check, naming the context file; [] when the
 * kept copy is in context too.
 */
export function onInputCopy(graph: MeshGraph, f: Finding, isContextFile: (file: string) => boolean): Finding[] {
  if (f.ruleId !== duplicateObject.id || !f.resource) return [];
  const first = graph.get(f.resource.kind, f.resource.namespace, f.resource.name);
  if (!first || isContextFile(first.file)) return [];
  const where = first.namespace === '' ? first.name : `${first.namespace}/${first.name}`;
  return [{
    ...f,
    message: `${first.kind} ${where} is also defined by context file ${f.location.file}:${f.location.line}: in GitOps two applications (Argo CD, Flux) would own one object and the last sync wins; meshproof checks this copy. Delete one copy, or rename this one (metadata.name) if both are meant to exist`,
    resource: first.ref,
    location: first.location,
    source: sourceAt(first.source),
  }];
}

export default duplicateObject;
