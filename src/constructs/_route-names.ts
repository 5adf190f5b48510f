/**
 * Route names a construct generates (`<name>-pinned`, `<name>-<subset>`…) kept apart from the names
 * already taken in the route table it adds to and from each other: Istio accepts duplicate route
 * names, but access logs, Envoy stats and verify's promises could not tell such routes apart.
 */

/** A namer that returns `base`, or `base-2`, `base-3`… when taken; every name it returns is taken from then on. */
export function routeNamer(taken: Iterable<string>): (base: string) => string {
  const used = new Set(taken);
  return (base) => {
    let n = 1;
    let candidate = base;
    while (used.has(candidate)) candidate = `${base}-${++n}`;
    used.add(candidate);
    return candidate;
  };
}
