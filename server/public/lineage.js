// Zoom for the lineage graph: scales the SVG's drawn size (its viewBox stays the layout's), so the
// browser's own scrolling pans it. The SVG is looked up each time: live refreshes replace it, and
// the current zoom is applied to the new one.
(() => {
  let scale = 1;
  const graph = () => document.getElementById("lineage");
  const size = (svg) => (svg.getAttribute("viewBox") ?? "0 0 1 1").split(" ").map(Number).slice(2);
  const apply = () => {
    const svg = graph();
    if (!svg) return;
    const [width, height] = size(svg);
    svg.setAttribute("width", String(Math.round(width * scale)));
    svg.setAttribute("height", String(Math.round(height * scale)));
  };
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-zoom]") : null;
    const svg = graph();
    if (!button || !svg) return;
    const [width] = size(svg);
    const action = button.getAttribute("data-zoom");
    if (action === "in") scale = Math.min(4, scale * 1.25);
    else if (action === "out") scale = Math.max(0.05, scale / 1.25);
    else scale = Math.min(1, (svg.parentElement?.clientWidth ?? width) / width);
    apply();
  });
  document.addEventListener("strata:refreshed", apply);
  // A graph a little wider than the window starts fitted; a large one starts at full size (scroll).
  const svg = graph();
  if (svg) {
    const [width] = size(svg);
    const room = svg.parentElement?.clientWidth ?? width;
    if (width > room && room / width >= 0.6) {
      scale = room / width;
      apply();
    }
  }
})();
