import type { MaterializationRecord } from "../../engine/index.ts";
import { type Html, html, raw, time } from "./html.ts";

export interface Series {
  readonly name: string;
  readonly points: readonly { readonly t: number; readonly v: number }[];
}

export interface Plot {
  /** Stable id used by the page and tests: the metadata key, or "quarantine_by_reason". */
  readonly id: string;
  readonly title: string;
  readonly series: readonly Series[];
}

const NUMERIC = new Set(["int", "float", "duration_ms"]);
const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

/**
 * Numeric metadata over time, one plot per key; `reason_*` keys (quarantine counts per rejection
 * reason) share one plot so the reasons can be compared. Row counts come first, durations last.
 */
export function plotsOf(history: readonly MaterializationRecord[]): Plot[] {
  const chronological = [...history].sort((a, b) => a.timestamp - b.timestamp);
  const byKey = new Map<string, { t: number; v: number }[]>();
  for (const record of chronological) {
    for (const [name, value] of Object.entries(record.metadata)) {
      if (!NUMERIC.has(value.type) || typeof value.value !== "number") continue;
      const points = byKey.get(name) ?? [];
      points.push({ t: record.timestamp, v: value.value });
      byKey.set(name, points);
    }
  }
  const reasons = [...byKey].filter(([name]) => name.startsWith("reason_"));
  const plots: Plot[] = [...byKey]
    .filter(([name]) => !name.startsWith("reason_"))
    .map(([name, points]) => ({
      id: name,
      title: name === "duration_ms" ? "duration (ms)" : name.replaceAll("_", " "),
      series: [{ name, points }],
    }));
  if (reasons.length > 0) {
    plots.push({
      id: "quarantine_by_reason",
      title: "quarantine by reason",
      series: reasons.map(([name, points]) => ({ name: name.slice("reason_".length), points })),
    });
  }
  const weight = (id: string) => (/rows/.test(id) ? 0 : id === "duration_ms" ? 2 : 1);
  return plots.sort((a, b) => weight(a.id) - weight(b.id));
}

const fmt = (v: number) =>
  Math.abs(v) >= 10_000 ? `${(v / 1000).toFixed(0)}k` : Number.isInteger(v) ? String(v) : v.toFixed(2);

/** One plot as an inline SVG: a line per series, a dot per materialisation, min/max labels. */
export function plotSvg(plot: Plot): Html {
  const width = 360;
  const height = 150;
  const pad = { left: 46, right: 10, top: 10, bottom: 24 };
  const all = plot.series.flatMap((s) => s.points);
  const ts = all.map((p) => p.t);
  const vs = all.map((p) => p.v);
  const t0 = Math.min(...ts);
  const t1 = Math.max(...ts);
  const v0 = Math.min(0, ...vs);
  const v1 = Math.max(...vs, v0 + 1);
  const x = (t: number) =>
    pad.left + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - ((v - v0) / (v1 - v0)) * (height - pad.top - pad.bottom);
  const series = plot.series.map((s, i) => {
    const colour = PALETTE[i % PALETTE.length] ?? "#2563eb";
    const line = s.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
    return html`<g class="series" data-series="${s.name}">
<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${line}"></polyline>
${s.points.map(
  (p) =>
    html`<circle class="point" cx="${x(p.t).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="3" fill="${colour}" data-value="${p.v}"><title>${s.name}: ${p.v} at ${time(p.t)}</title></circle>`,
)}</g>`;
  });
  const legend =
    plot.series.length > 1
      ? html`<div class="legend">${plot.series.map(
          (s, i) => html`<span class="swatch-${i % PALETTE.length}">■</span> ${s.name} `,
        )}</div>`
      : html``;
  return html`<figure class="plot" data-plot="${plot.id}">
<figcaption>${plot.title}</figcaption>
<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${plot.title} over time">
<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#9ca3af"></line>
<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#9ca3af"></line>
<text x="${pad.left - 4}" y="${pad.top + 8}" text-anchor="end" class="axis">${fmt(v1)}</text>
<text x="${pad.left - 4}" y="${height - pad.bottom}" text-anchor="end" class="axis">${fmt(v0)}</text>
<text x="${pad.left}" y="${height - 6}" class="axis">${time(t0).slice(5, 16)}</text>
<text x="${width - pad.right}" y="${height - 6}" text-anchor="end" class="axis">${time(t1).slice(5, 16)}</text>
${series}
</svg>${legend}${raw("")}</figure>`;
}
