import type { TickRecord, Workspace } from "../../engine/index.ts";
import { instigatorView } from "../api/instigators.ts";
import { launchDialogs } from "./dialogs.ts";
import { badge, type Html, html, page, time } from "./html.ts";

function ticksTable(ticks: readonly TickRecord[]): Html {
  if (ticks.length === 0) return html`<p class="empty">No ticks yet.</p>`;
  return html`<table class="ticks"><thead><tr><th>Tick</th><th>Status</th><th>Runs</th><th>Reason</th></tr></thead><tbody>${ticks.map(
    (t) => html`<tr><td>${time(t.timestamp)}</td><td>${badge(t.status)}</td>
<td>${t.runIds.map((id) => html`<a href="/runs/${id}">${id.slice(0, 8)}</a> `)}</td><td>${t.error ?? t.skipReason ?? ""}</td></tr>`,
  )}</tbody></table>`;
}

/** Sensors and schedules with their tick history and on/off toggles. */
export async function automationPage(workspace: Workspace): Promise<string> {
  const sections: Html[] = [];
  for (const kind of ["sensor", "schedule"] as const) {
    const definitions = kind === "sensor" ? workspace.definitions.sensors : workspace.definitions.schedules;
    const views = [];
    for (const d of definitions) views.push(await instigatorView(workspace, kind, d.name));
    sections.push(html`<section><h2>${kind === "sensor" ? "Sensors" : "Schedules"}</h2>
${views.length === 0 ? html`<p class="empty">None defined.</p>` : ""}
${views.map(
  (v) => html`<article class="instigator" data-instigator="${v.name}" data-running="${String(v.running)}">
<h3>${v.name} ${badge(v.running ? "running" : "stopped")}
<button class="small" data-post="/api/${kind}s/${v.name}/${v.running ? "stop" : "start"}">${v.running ? "Stop" : "Start"}</button></h3>
<p>target <code>${v.target}</code>${"cron" in v ? html` · cron <code>${v.cron}</code> ${v.timezone}` : ""}${
    "intervalSeconds" in v ? html` · every ${v.intervalSeconds} s` : ""
  }${v.description ? html` · ${v.description}` : ""}</p>
${ticksTable(v.ticks)}</article>`,
)}</section>`);
  }
  return page(
    "Sensors & schedules",
    "automation",
    html`<div class="page-head"><h1>Sensors &amp; schedules</h1></div>${sections}`,
    launchDialogs(),
  );
}
