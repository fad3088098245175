// The run page: replays and follows the run's events over SSE (/api/runs/:id/stream), appending
// log rows as they arrive and re-rendering the status and step timeline when a step or the run
// changes state. The stream is closed once the run has ended.
(() => {
  const log = document.getElementById("run-log");
  if (log?.dataset.live !== "true") return;
  const body = log.tBodies[0];
  const indicator = document.getElementById("live-indicator");
  const seen = new Set([...body.rows].map((row) => row.dataset.eventId));
  const time = (ms) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);
  const cell = (text, className) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  };
  let timer;
  const refreshHead = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const response = await fetch(location.href, { headers: { accept: "text/html" } });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const selector of ["#run-head", "#steps", "dl.facts"]) {
        const next = doc.querySelector(selector);
        const current = document.querySelector(selector);
        if (next && current) current.replaceWith(next);
      }
    }, 150);
  };
  const terminal = ["RUN_SUCCESS", "RUN_FAILURE", "RUN_CANCELED"];
  const source = new EventSource(`/api/runs/${encodeURIComponent(log.dataset.runId)}/stream`);
  source.addEventListener("open", () => indicator?.classList.add("on"));
  const onEvent = (message) => {
    const event = JSON.parse(message.data);
    if (seen.has(String(event.id))) return;
    seen.add(String(event.id));
    const row = document.createElement("tr");
    row.dataset.eventId = String(event.id);
    row.className = `level-${event.level ?? "info"}`;
    const where = `${event.assetKey ?? ""}${event.partition ? ` [${event.partition}]` : ""}`;
    row.append(cell(time(event.timestamp)), cell(event.type), cell(where), cell(event.message, "message"));
    body.append(row);
    if (event.type.startsWith("STEP_") || event.type.startsWith("RUN_")) refreshHead();
    if (terminal.includes(event.type)) {
      source.close();
      indicator?.classList.remove("on");
      log.dataset.live = "false";
    }
  };
  const types = [
    "RUN_STARTED",
    "STEP_STARTED",
    "STEP_SUCCESS",
    "STEP_FAILURE",
    "STEP_SKIPPED",
    "STEP_RETRY",
    "ASSET_MATERIALIZATION",
    "ASSET_OBSERVATION",
    "CHECK_EVALUATION",
    "LOG",
    ...terminal,
  ];
  for (const type of types) source.addEventListener(type, onEvent);
})();
