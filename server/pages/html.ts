/** Server-rendered HTML: a tagged template that escapes every interpolation unless it is already Html. */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === undefined || value === null || value === false) return "";
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

export const raw = (text: string): Html => new Html(text);

export function time(ms: number | undefined | null): string {
  return ms === undefined || ms === null ? "–" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

export function duration(from: number | undefined, to: number | undefined): string {
  if (from === undefined || to === undefined) return "–";
  const ms = to - from;
  return ms < 1000
    ? `${ms} ms`
    : ms < 60_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${(ms / 60_000).toFixed(1)} min`;
}

export const badge = (status: string): Html => html`<span class="badge status-${status}">${status}</span>`;

export const assetLink = (key: string): Html => html`<a href="/assets/${key}">${key}</a>`;

const NAV = [
  ["catalog", "/", "Assets"],
  ["lineage", "/lineage", "Lineage"],
  ["runs", "/runs", "Runs"],
  ["automation", "/automation", "Sensors & schedules"],
] as const;

/** The page shell: navigation, the page body, the launch dialogs and the scripts (all local). */
export function page(title: string, active: string, body: Html, dialogs: Html = html``): string {
  return `<!doctype html>${
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Strata</title>
<link rel="stylesheet" href="/static/style.css">
<script src="/static/live.js" defer></script>
<script src="/static/dialogs.js" defer></script>
<script src="/static/app.js" defer></script>
${active === "lineage" ? raw('<script src="/static/lineage.js" defer></script>') : ""}
</head>
<body data-page="${active}">
<header class="top"><a class="brand" href="/">Strata</a><nav>${NAV.map(
      ([id, href, label]) => html`<a href="${href}" class="${id === active ? "active" : ""}">${label}</a>`,
    )}</nav><span id="live-indicator" class="live" title="live updates">●</span></header>
<main id="main">${body}</main>
${dialogs}
<div id="toast" class="toast" hidden></div>
</body>
</html>`.value
  }`;
}
