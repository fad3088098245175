import type { AssetKey, MetadataValue, Workspace } from "../../engine/index.ts";
import { type AssetSummary, assetSummary } from "../views.ts";
import { launchDialogs } from "./dialogs.ts";
import { assetLink, badge, type Html, html, page, time } from "./html.ts";
import { plotSvg, plotsOf } from "./plots.ts";

function metadataText(value: MetadataValue): string {
  switch (value.type) {
    case "duration_ms":
      return `${value.value} ms`;
    case "table_schema":
      return `${value.value.length} columns`;
    case "json":
      return JSON.stringify(value.value).slice(0, 80);
    default:
      return String(value.value);
  }
}

function header(asset: AssetSummary): Html {
  const run = asset.latestRun;
  return html`<div class="page-head"><h1>${asset.key}</h1>${badge(asset.status)}
<button data-open="launch-dialog" data-selection="${asset.key}">Materialize…</button>
${asset.partitions ? html`<button data-open="backfill-dialog" data-selection="${asset.key}">Backfill…</button>` : ""}</div>
<dl class="facts">
<dt>Layer</dt><dd>${asset.layer}</dd><dt>Group</dt><dd>${asset.group ?? "–"}</dd>
${asset.description ? html`<dt>Description</dt><dd>${asset.description}</dd>` : ""}
<dt>Automation</dt><dd>${asset.automation ?? "–"}</dd>
${asset.codeVersion ? html`<dt>Code version</dt><dd>${asset.codeVersion}</dd>` : ""}
${asset.owners.length > 0 ? html`<dt>Owners</dt><dd>${asset.owners.join(", ")}</dd>` : ""}
<dt>Upstream</dt><dd>${asset.upstream.length === 0 ? "–" : asset.upstream.map((k) => html`${assetLink(k)} `)}</dd>
<dt>Downstream</dt><dd>${asset.downstream.length === 0 ? "–" : asset.downstream.map((k) => html`${assetLink(k)} `)}</dd>
<dt>Latest run</dt><dd id="latest-run" data-latest-run-status="${run?.status ?? "none"}">${
    run
      ? html`<a href="/runs/${run.runId}">${run.runId.slice(0, 8)}</a> ${badge(run.status)} ${time(run.createdAt)}`
      : "–"
  }</dd>
</dl>`;
}

async function partitionGrid(workspace: Workspace, key: AssetKey): Promise<Html> {
  const definition = workspace.definitions.graph.definition(key).spec.partitions;
  if (!definition) return html``;
  const statuses = await workspace.storage.partitionStatuses(key);
  const keys = definition.keys(workspace.clock.now());
  return html`<section id="partitions"><h2>Partitions <small>${keys.length} ${definition.kind}</small></h2>
<div class="partition-grid">${keys.map((k) => {
    const status = statuses.get(k) ?? "missing";
    return html`<span class="cell status-${status}" data-partition="${k}" title="${k}: ${status}"></span>`;
  })}</div>
<p class="legend"><span class="cell status-materialized"></span> materialized <span class="cell status-failed"></span> failed <span class="cell status-in_progress"></span> in progress <span class="cell status-missing"></span> missing</p></section>`;
}

async function checksSection(workspace: Workspace, asset: AssetSummary): Promise<Html> {
  if (asset.checks.length === 0) return html``;
  const history = await workspace.storage.checkResults(asset.key, { limit: 50 });
  return html`<section id="checks"><h2>Checks</h2>
<table><thead><tr><th>Check</th><th>Severity</th><th>Latest</th><th>When</th><th>Description</th></tr></thead><tbody>
${asset.checks.map(
  (
    c,
  ) => html`<tr data-check="${c.name}"><td>${c.name}</td><td>${c.severity}${c.blocking ? " · blocking" : ""}</td>
<td>${c.latest === null ? badge("not_evaluated") : badge(c.latest.passed ? "passed" : "failed")}</td>
<td>${time(c.latest?.timestamp)}</td><td>${c.latest?.description ?? c.description ?? ""}</td></tr>`,
)}</tbody></table>
<details><summary>History (${history.length})</summary><table><tbody>${history.map(
    (r) =>
      html`<tr><td>${time(r.timestamp)}</td><td>${r.checkName}</td><td>${badge(r.passed ? "passed" : "failed")}</td><td>${r.partition ?? ""}</td><td><a href="/runs/${r.runId}">${r.runId.slice(0, 8)}</a></td></tr>`,
  )}</tbody></table></details></section>`;
}

/** An asset: facts, plots of numeric metadata over time, partitions, checks and materialisation history. */
export async function assetPage(workspace: Workspace, key: AssetKey): Promise<string> {
  const asset = await assetSummary(workspace, key);
  const history = await workspace.storage.materializations(key, { limit: 100 });
  const plots = plotsOf(history);
  const body = html`${header(asset)}
<section id="plots"><h2>Metadata over time</h2>${
    plots.length === 0
      ? html`<p class="empty">No numeric metadata yet: materialise the asset.</p>`
      : html`<div class="plots">${plots.map(plotSvg)}</div>`
  }</section>
${await partitionGrid(workspace, key)}
${await checksSection(workspace, asset)}
<section id="history"><h2>Materialisations <small>${history.length}</small></h2>
<table><thead><tr><th>When</th><th>Partition</th><th>Run</th><th>Data version</th><th>Metadata</th></tr></thead><tbody>
${history.map(
  (m) => html`<tr data-event="${m.eventId}"><td>${time(m.timestamp)}</td><td>${m.partition ?? "–"}</td>
<td><a href="/runs/${m.runId}">${m.runId.slice(0, 8)}</a></td><td>${m.dataVersion ?? "–"}</td>
<td class="metadata">${Object.entries(m.metadata).map(([name, value]) => html`<span><b>${name}</b> ${metadataText(value)}</span> `)}</td></tr>`,
)}</tbody></table></section>`;
  return page(
    key,
    "catalog",
    body,
    launchDialogs({ selection: key, partitioned: asset.partitions !== null }),
  );
}
