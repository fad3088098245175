import type { Workspace } from "../../engine/index.ts";
import { type AssetSummary, assetSummary } from "../views.ts";
import { launchDialogs } from "./dialogs.ts";
import { assetLink, badge, type Html, html, page, time } from "./html.ts";

const LAYER_ORDER = ["bronze", "silver", "gold"];

function layerRank(layer: string): number {
  const i = LAYER_ORDER.indexOf(layer);
  return i === -1 ? LAYER_ORDER.length : i;
}

function checksCell(asset: AssetSummary): Html {
  if (asset.checks.length === 0) return html`–`;
  const evaluated = asset.checks.filter((c) => c.latest !== null);
  if (evaluated.length === 0) return html`<span class="muted">${asset.checks.length} not evaluated</span>`;
  const failed = evaluated.filter((c) => c.latest?.passed === false).length;
  return html`<span class="${failed > 0 ? "fail" : "pass"}">${evaluated.length - failed}/${asset.checks.length} passed</span>`;
}

function partitionsCell(asset: AssetSummary): Html {
  const p = asset.partitions;
  if (!p) return html`–`;
  return html`${p.materialized}/${p.total} ${p.kind}${p.failed > 0 ? html` <span class="fail">${p.failed} failed</span>` : ""}`;
}

/** The asset catalog: every asset grouped by layer, with status, partitions, checks and last materialisation. */
export async function catalogPage(workspace: Workspace): Promise<string> {
  const assets: AssetSummary[] = [];
  for (const key of workspace.definitions.graph.order) assets.push(await assetSummary(workspace, key));
  const layers = [...new Set(assets.map((a) => a.layer))].sort(
    (a, b) => layerRank(a) - layerRank(b) || a.localeCompare(b),
  );
  const body = html`<div class="page-head"><h1>Assets</h1>
<span>${assets.length} assets in ${layers.length} layers</span>
<button data-open="launch-dialog" data-selection="*">Materialize all…</button></div>
${layers.map((layer) => {
  const inLayer = assets.filter((a) => a.layer === layer);
  return html`<section class="layer" data-layer="${layer}">
<h2 class="layer-title layer-${layer}">${layer} <small>${inLayer.length}</small></h2>
<table class="assets"><thead><tr><th>Asset</th><th>Group</th><th>Status</th><th>Partitions</th><th>Checks</th><th>Automation</th><th>Last materialised</th><th></th></tr></thead>
<tbody>${inLayer.map(
    (a) => html`<tr data-asset="${a.key}">
<td>${assetLink(a.key)}</td><td>${a.group ?? "–"}</td><td data-asset-status="${a.status}">${badge(a.status)}</td>
<td>${partitionsCell(a)}</td><td>${checksCell(a)}</td><td>${a.automation ?? "–"}</td>
<td>${time(a.latestMaterialization?.timestamp)}</td>
<td><button class="small" data-open="launch-dialog" data-selection="${a.key}">Materialize</button></td></tr>`,
  )}</tbody></table></section>`;
})}`;
  return page("Assets", "catalog", body, launchDialogs());
}
