import type { Workspace } from "../../engine/index.ts";
import { lineageOf } from "../lineage.ts";
import { launchDialogs } from "./dialogs.ts";
import { html, page } from "./html.ts";

/** An edge's polyline as a path: straight through dummy columns, S-curves between columns. */
function edgePath(points: readonly (readonly [number, number])[]): string {
  const [first, ...rest] = points;
  if (!first) return "";
  let d = `M${first[0].toFixed(1)},${first[1].toFixed(1)}`;
  let previous = first;
  for (const point of rest) {
    if (point[1] === previous[1]) d += ` L${point[0].toFixed(1)},${point[1].toFixed(1)}`;
    else {
      const mid = (previous[0] + point[0]) / 2;
      d += ` C${mid.toFixed(1)},${previous[1].toFixed(1)} ${mid.toFixed(1)},${point[1].toFixed(1)} ${point[0].toFixed(1)},${point[1].toFixed(1)}`;
    }
    previous = point;
  }
  return d;
}

/** Node status from the latest materialisation only: one query per asset keeps 1,000 nodes fast. */
async function statuses(workspace: Workspace): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of workspace.definitions.graph.order)
    out.set(key, (await workspace.storage.latestMaterialization(key)) ? "materialized" : "missing");
  return out;
}

/** The lineage graph: the layered layout drawn as SVG, nodes linking to their asset pages. */
export async function lineagePage(workspace: Workspace): Promise<string> {
  const { layout, layoutMs } = lineageOf(workspace);
  const status = await statuses(workspace);
  const w = layout.nodeWidth;
  const h = layout.nodeHeight;
  const maxChars = Math.floor((w - 16) / 7);
  const body = html`<div class="page-head"><h1>Lineage</h1>
<span id="lineage-stats" data-nodes="${layout.nodes.length}" data-edges="${layout.edges.length}" data-layout-ms="${layoutMs.toFixed(1)}">${layout.nodes.length} assets, ${layout.edges.length} edges · laid out in ${layoutMs.toFixed(0)} ms</span>
<span class="zoom"><button class="small" data-zoom="out">−</button><button class="small" data-zoom="fit">fit</button><button class="small" data-zoom="in">+</button></span></div>
<div class="lineage-scroll"><svg id="lineage" xmlns="http://www.w3.org/2000/svg" width="${layout.width.toFixed(0)}" height="${layout.height.toFixed(0)}" viewBox="0 0 ${layout.width.toFixed(0)} ${layout.height.toFixed(0)}">
<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#94a3b8"></path></marker></defs>
<g class="edges">${layout.edges.map(
    (e) =>
      html`<path class="edge" d="${edgePath(e.points)}" data-from="${e.from}" data-to="${e.to}" marker-end="url(#arrow)"></path>`,
  )}</g>
<g class="nodes">${layout.nodes.map((n) => {
    const label = n.id.length > maxChars ? `${n.id.slice(0, maxChars - 1)}…` : n.id;
    const layer = n.id.split("/")[0] ?? "";
    return html`<a href="/assets/${n.id}" class="node layer-${layer} status-${status.get(n.id) ?? "missing"}" data-asset="${n.id}"><rect x="${n.x.toFixed(1)}" y="${n.y.toFixed(1)}" width="${w}" height="${h}" rx="6"></rect><text x="${(n.x + 10).toFixed(1)}" y="${(n.y + h / 2 + 4).toFixed(1)}">${label}</text><title>${n.id}</title></a>`;
  })}</g>
</svg></div>`;
  return page("Lineage", "lineage", body, launchDialogs());
}
