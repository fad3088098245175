// Live updates for every page but the run page (which follows its own run, see app.js): one
// EventSource on /api/stream; when a run starts or ends, an asset materialises or a check is
// evaluated, the page's main region is fetched again and swapped in place (no reload, dialogs and
// scroll position kept).
(() => {
  const indicator = document.getElementById("live-indicator");
  let timer;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const response = await fetch(location.href, { headers: { accept: "text/html" } });
      if (!response.ok) return;
      const next = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("main");
      const current = document.getElementById("main");
      if (!next || !current) return;
      current.replaceChildren(...next.childNodes);
      document.dispatchEvent(new CustomEvent("strata:refreshed"));
    }, 250);
  };
  window.strataRefresh = refresh;
  if (document.getElementById("run-log")) return;
  const source = new EventSource("/api/stream");
  source.addEventListener("open", () => indicator?.classList.add("on"));
  source.addEventListener("error", () => indicator?.classList.remove("on"));
  const relevant = [
    "RUN_STARTED",
    "RUN_SUCCESS",
    "RUN_FAILURE",
    "RUN_CANCELED",
    "STEP_STARTED",
    "STEP_FAILURE",
    "ASSET_MATERIALIZATION",
    "CHECK_EVALUATION",
  ];
  for (const type of relevant) source.addEventListener(type, refresh);
  // Sensor and schedule ticks are not run events: that page re-reads itself every few seconds.
  if (document.body.dataset.page === "automation") setInterval(refresh, 5000);
})();
