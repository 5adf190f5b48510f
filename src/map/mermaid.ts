/**
 * A host's traffic as a Mermaid flowchart (GitHub renders ```mermaid blocks in job summaries and
 * Markdown): entry points (gateways, `mesh`) → the host → each route (name and match) → its
 * destinations, edges labelled with weights; mirrors dashed; faults, timeouts, retries and
 * redirects on the route node.
 */
import { destinationLabel, type HostMap } from './traffic.js';

/** Text inside a Mermaid `["…"]` label: quotes and angle brackets as entities, no line breaks. */
function label(text: string): string {
  return text.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/[\r\n]+/g, ' ');
}

/** Maximum routes drawn per host before "… N more routes" (keeps diagrams readable and small). */
export const MAX_ROUTES_PER_DIAGRAM = 20;

/** The flowchart source (without the ``` fence). Node ids are positional, so any host name is safe. */
export function hostDiagram(host: HostMap): string {
  const lines = ['flowchart LR', `  H["${label(host.host)}"]`];
  host.gateways.forEach((g, i) => lines.push(`  G${i}(["${label(g)}"]) --> H`));
  const destinations = new Map<string, string>();
  const dest = (text: string) => {
    let id = destinations.get(text);
    if (id === undefined) {
      id = `D${destinations.size}`;
      destinations.set(text, id);
      lines.push(`  ${id}[("${label(text)}")]`);
    }
    return id;
  };
  host.routes.slice(0, MAX_ROUTES_PER_DIAGRAM).forEach((r, i) => {
    const notes = [r.fault && `fault: ${r.fault}`, r.timeout && `timeout ${r.timeout}`, r.retries && `retries ${r.retries}`, r.terminal].filter(Boolean);
    lines.push(`  R${i}["${label(`${i + 1}. ${r.name}: ${r.match}${notes.length > 0 ? ` — ${notes.join('; ')}` : ''}`)}"]`);
    lines.push(`  H --> R${i}`);
    for (const d of r.destinations) lines.push(`  R${i} -- "${d.weight}%" --> ${dest(destinationLabel(d))}`);
    if (r.mirror) lines.push(`  R${i} -. "mirror ${r.mirror.percent}" .-> ${dest(r.mirror.target)}`);
  });
  if (host.routes.length > MAX_ROUTES_PER_DIAGRAM) lines.push(`  More["… ${host.routes.length - MAX_ROUTES_PER_DIAGRAM} more routes"]`, '  H --> More');
  return lines.join('\n');
}

/** A fenced Mermaid block for Markdown. */
export function hostDiagramMarkdown(host: HostMap): string {
  return `\`\`\`mermaid\n${hostDiagram(host)}\n\`\`\`\n`;
}
