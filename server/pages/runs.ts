import type { EventRecord, RunRecord, Workspace } from "../../engine/index.ts";
import { type StepView, stepsOf } from "../views.ts";
import { launchDialogs } from "./dialogs.ts";
import { badge, duration, type Html, html, page, time } from "./html.ts";

function partitionOf(run: RunRecord): string {
  return run.partition ?? (run.partitionRange ? `${run.partitionRange.from}…${run.partitionRange.to}` : "–");
}

/** Recent runs and backfills. */
export async function runsPage(workspace: Workspace): Promise<string> {
  const runs = await workspace.storage.listRuns({ limit: 100 });
  const backfills = await workspace.storage.listBackfills(20);
  const body = html`<div class="page-head"><h1>Runs</h1>
<button data-open="launch-dialog">Launch run…</button><button data-open="backfill-dialog">Backfill…</button></div>
<table id="runs"><thead><tr><th>Run</th><th>Status</th><th>Created</th><th>Duration</th><th>Origin</th><th>Selection</th><th>Partition</th></tr></thead><tbody>
${runs.map(
  (
    r,
  ) => html`<tr data-run="${r.runId}"><td><a href="/runs/${r.runId}">${r.runId.slice(0, 8)}</a></td><td>${badge(r.status)}</td>
<td>${time(r.createdAt)}</td><td>${duration(r.startedAt, r.endedAt)}</td><td>${r.origin ? `${r.origin.kind}: ${r.origin.name}` : "manual"}</td>
<td>${r.selection}</td><td>${partitionOf(r)}</td></tr>`,
)}</tbody></table>
<h2>Backfills</h2>
<table id="backfills"><thead><tr><th>Backfill</th><th>Status</th><th>Created</th><th>Selection</th><th>Progress</th><th></th></tr></thead><tbody>
${backfills.map(
  (
    b,
  ) => html`<tr data-backfill="${b.backfillId}"><td>${b.backfillId.slice(0, 8)}</td><td>${badge(b.status)}</td><td>${time(b.createdAt)}</td>
<td>${b.selection}</td><td>${b.completed.length}/${b.partitions.length} done${b.failed.length > 0 ? `, ${b.failed.length} failed` : ""}</td>
<td>${b.status === "requested" ? html`<button class="small" data-post="/api/backfills/${b.backfillId}/cancel">Cancel</button>` : ""}</td></tr>`,
)}</tbody></table>`;
  return page("Runs", "runs", body, launchDialogs());
}

/** Steps as horizontal bars on the run's time axis (running steps extend to now). */
function timeline(run: RunRecord, steps: readonly StepView[], now: number): Html {
  const start = run.startedAt ?? run.createdAt;
  const end = Math.max(run.endedAt ?? now, start + 1, ...steps.map((s) => s.endedAt ?? now));
  const width = 900;
  const label = 230;
  const row = 24;
  const x = (t: number) => label + ((t - start) / (end - start)) * (width - label - 10);
  return html`<svg id="timeline" viewBox="0 0 ${width} ${steps.length * row + 24}" width="${width}" role="img" aria-label="step timeline">
${steps.map((s, i) => {
  const from = x(s.startedAt ?? start);
  const to = x(s.endedAt ?? (s.startedAt !== undefined ? now : start));
  return html`<g class="step status-${s.status}" data-step="${s.assetKey}${s.partition ? `[${s.partition}]` : ""}" data-status="${s.status}">
<text class="step-label" x="4" y="${i * row + 16}">${s.assetKeys.join(" + ")}${s.partition ? ` [${s.partition}]` : ""}</text>
<rect class="bar" x="${from.toFixed(1)}" y="${i * row + 4}" width="${Math.max(2, to - from).toFixed(1)}" height="16" rx="3"></rect>
<title>${s.status}${s.attempts > 1 ? `, ${s.attempts} attempts` : ""}: ${duration(s.startedAt, s.endedAt)}</title></g>`;
})}
<text x="${label}" y="${steps.length * row + 18}" class="axis">${time(start)}</text>
<text x="${width - 10}" y="${steps.length * row + 18}" text-anchor="end" class="axis">+${duration(start, end)}</text>
</svg>`;
}

export function logRow(e: EventRecord): Html {
  return html`<tr data-event-id="${e.id}" class="level-${e.level ?? "info"}"><td>${time(e.timestamp)}</td><td>${e.type}</td>
<td>${e.assetKey ?? ""}${e.partition ? ` [${e.partition}]` : ""}</td><td class="message">${e.message}</td></tr>`;
}

/** A run: status, step timeline and its events, followed live over SSE by /static/app.js. */
export async function runPage(workspace: Workspace, run: RunRecord): Promise<string> {
  const events = await workspace.storage.listEvents(run.runId);
  const steps = stepsOf(events);
  const live = run.status === "queued" || run.status === "started";
  const body = html`<div class="page-head" id="run-head"><h1>Run ${run.runId.slice(0, 8)}</h1>
<span id="run-status" data-status="${run.status}">${badge(run.status)}</span>
${live && run.cancelRequestedAt === undefined ? html`<button data-post="/api/runs/${run.runId}/cancel" class="danger">Cancel run</button>` : ""}
${live && run.cancelRequestedAt !== undefined ? html`<span class="muted">cancel requested ${time(run.cancelRequestedAt)}</span>` : ""}</div>
<dl class="facts"><dt>Run id</dt><dd>${run.runId}</dd><dt>Selection</dt><dd>${run.selection}</dd>
<dt>Partition</dt><dd>${partitionOf(run)}</dd><dt>Origin</dt><dd>${run.origin ? `${run.origin.kind}: ${run.origin.name}` : "manual"}</dd>
<dt>Created</dt><dd>${time(run.createdAt)}</dd><dt>Duration</dt><dd>${duration(run.startedAt, run.endedAt)}</dd>
${run.error ? html`<dt>Error</dt><dd class="fail">${run.error}</dd>` : ""}</dl>
<section id="steps"><h2>Steps</h2>${timeline(run, steps, workspace.clock.now())}</section>
<section><h2>Events and logs</h2>
<table id="run-log" data-run-id="${run.runId}" data-live="${live ? "true" : "false"}" data-last-event-id="${events.at(-1)?.id ?? 0}">
<thead><tr><th>Time</th><th>Event</th><th>Asset</th><th>Message</th></tr></thead><tbody>${events.map(logRow)}</tbody></table></section>`;
  return page(`Run ${run.runId.slice(0, 8)}`, "runs", body, launchDialogs());
}
