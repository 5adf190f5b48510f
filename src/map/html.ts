/**
 * `meshproof map`'s page: every host's traffic as one static HTML file that opens offline with no
 * server and no script. Each host is drawn as an SVG laid out by dagre (entry points → host →
 * routes with their matches → destinations with weights; mirrors dashed), followed by a table of
 * its routes with faults, timeouts, retries and links to the YAML and TypeScript lines.
 */
import * as path from 'node:path';
import dagre from '@dagrejs/dagre';
import { destinationLabel, type HostMap, type MapRoute } from './traffic.js';

/** Characters of a node label drawn before it is cut with an ellipsis (the table has the rest). */
const MAX_LABEL = 60;
const CHAR_WIDTH = 7.4;
const NODE_HEIGHT = 28;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function short(s: string): string {
  return s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 1)}…` : s;
}

type NodeKind = 'entry' | 'host' | 'route' | 'destination';
interface Node { label: string; kind: NodeKind; width: number; height: number; x?: number; y?: number }
interface Edge { label?: string; dashed?: boolean; points?: { x: number; y: number }[] }

/** `1. name: match`: the number is the match order (first match wins). */
function routeLabel(r: MapRoute, i: number): string {
  return short(`${i + 1}. ${r.name}: ${r.match}`);
}

/** One host's graph as an SVG element (string). Node ids are positional: any host name is safe. */
export function hostSvg(host: HostMap): string {
  const g = new dagre.graphlib.Graph<Node>({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 60, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const add = (id: string, label: string, kind: NodeKind) => g.setNode(id, { label, kind, width: Math.ceil(Math.max(60, label.length * CHAR_WIDTH + 20)), height: NODE_HEIGHT });
  add('h', short(host.host), 'host');
  host.gateways.forEach((gw, i) => {
    add(`g${i}`, short(gw), 'entry');
    g.setEdge(`g${i}`, 'h', {} as Edge, `g${i}`);
  });
  const dests = new Map<string, string>();
  const dest = (label: string) => {
    let id = dests.get(label);
    if (id === undefined) {
      id = `d${dests.size}`;
      dests.set(label, id);
      add(id, short(label), 'destination');
    }
    return id;
  };
  host.routes.forEach((r, i) => {
    add(`r${i}`, routeLabel(r, i), 'route');
    g.setEdge('h', `r${i}`, {} as Edge, `hr${i}`);
    r.destinations.forEach((d, j) => g.setEdge(`r${i}`, dest(destinationLabel(d)), { label: `${d.weight}%`, width: 36, height: 14, labelpos: 'c' } as Edge, `r${i}d${j}`));
    if (r.mirror) g.setEdge(`r${i}`, dest(r.mirror.target), { label: `mirror ${r.mirror.percent}`, dashed: true, width: 80, height: 14, labelpos: 'c' } as Edge, `r${i}m`);
  });
  dagre.layout(g);
  const { width = 0, height = 0 } = g.graph() as { width?: number; height?: number };
  const parts: string[] = [];
  for (const e of g.edges()) {
    const edge = g.edge(e) as Edge & { x?: number; y?: number };
    const pts = edge.points ?? [];
    if (pts.length === 0) continue;
    const d = pts.map((p, k) => `${k === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    parts.push(`<path class="edge${edge.dashed ? ' mirror' : ''}" d="${d}" marker-end="url(#arrow)"/>`);
    if (edge.label && edge.x !== undefined && edge.y !== undefined) parts.push(`<text class="weight" x="${edge.x.toFixed(1)}" y="${(edge.y + 4).toFixed(1)}">${esc(edge.label)}</text>`);
  }
  for (const id of g.nodes()) {
    const n = g.node(id);
    const x = (n.x ?? 0) - n.width / 2;
    const y = (n.y ?? 0) - n.height / 2;
    parts.push(`<g class="node ${n.kind}"><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${n.width}" height="${n.height}" rx="${n.kind === 'entry' ? 14 : 4}"/><text x="${(n.x ?? 0).toFixed(1)}" y="${((n.y ?? 0) + 4).toFixed(1)}">${esc(n.label)}</text></g>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="traffic of ${esc(host.host)}" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>${parts.join('')}</svg>`;
}

export interface MapPageOptions {
  /** Directory the page is written to: links to YAML and TypeScript files are relative to it. */
  readonly outDir: string;
  /** Directory relative source paths (TypeScript files in the source map) are relative to. */
  readonly projectRoot: string;
  readonly title?: string;
}

function link(file: string, line: number, from: string, root: string): string {
  const target = path.isAbsolute(file) ? file : path.resolve(root, file);
  const rel = path.relative(from, target).split(path.sep).join('/');
  return `<a href="${esc(encodeURI(rel))}">${esc(file)}:${line}</a>`;
}

function routeRows(host: HostMap, opts: MapPageOptions): string {
  return host.routes
    .map((r, i) => {
      const to = r.terminal ?? r.destinations.map((d) => `${destinationLabel(d)} ${d.weight}%`).join(', ');
      const policy = [r.fault && `fault ${r.fault}`, r.timeout && `timeout ${r.timeout}`, r.retries && `retries ${r.retries}`, r.mirror && `mirror ${r.mirror.target} ${r.mirror.percent}`].filter(Boolean).join('; ');
      const src = [link(r.location.file, r.location.line, opts.outDir, opts.projectRoot), r.source ? link(r.source.file, r.source.line, opts.outDir, opts.projectRoot) : ''].filter(Boolean).join('<br>');
      return `<tr><td>${i + 1}. ${esc(r.name)}</td><td>${esc(r.match)}</td><td>${esc(to)}</td><td>${esc(policy)}</td><td>${esc(r.virtualService)}</td><td>${src}</td></tr>`;
    })
    .join('\n');
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:24px;color:#1f2328}h1{font-size:20px}h2{font-size:16px;margin-top:32px}
nav a{margin-right:12px}table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
.diagram{overflow-x:auto;border:1px solid #d0d7de;padding:8px;background:#fff}svg text{font:12px system-ui,sans-serif;text-anchor:middle}
.node rect{stroke:#57606a;fill:#f6f8fa}.node.host rect{fill:#ddf4ff;stroke:#0969da}.node.entry rect{fill:#fff8c5}.node.destination rect{fill:#dafbe1;stroke:#1a7f37}
.warn{color:#9a6700;background:#fff8c5;padding:4px 8px}.edge{fill:none;stroke:#57606a;stroke-width:1.4}.edge.mirror{stroke-dasharray:5 4}.weight{font-weight:600;fill:#0969da;paint-order:stroke;stroke:#fff;stroke-width:4px}marker path{fill:#57606a}`;

/** The whole page. Deterministic: the same mesh gives byte-identical HTML. */
export function mapPage(hosts: readonly HostMap[], opts: MapPageOptions): string {
  const title = opts.title ?? 'meshproof traffic map';
  const nav = hosts.map((h, i) => `<a href="#host-${i}">${esc(h.host)}</a>`).join('\n');
  const sections = hosts.map((h, i) => `<section id="host-${i}">
<h2>${esc(h.host)}</h2>
<p>Entry: ${esc(h.gateways.join(', '))}</p>
${h.virtualServices.length > 1 ? `<p class="warn">Routed by ${h.virtualServices.length} VirtualServices (${esc(h.virtualServices.join(', '))}): Istio merges gateway ones in creation order and applies only one of several mesh ones (IST0109), so the order below is not guaranteed.</p>` : ''}
<div class="diagram">${hostSvg(h)}</div>
<table><thead><tr><th>Route (match order)</th><th>Match</th><th>To</th><th>Policies</th><th>VirtualService</th><th>Source</th></tr></thead><tbody>
${routeRows(h, opts)}
</tbody></table>
</section>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><h1>${esc(title)}</h1>
<p>${hosts.length} hosts, ${hosts.reduce((n, h) => n + h.routes.length, 0)} routes. Generated by meshproof from the synthesized manifests.</p>
<nav>${nav}</nav>
${sections.join('\n')}
</body></html>
`;
}
