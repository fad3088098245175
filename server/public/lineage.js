// Zoom for the lineage graph: scales the SVG's drawn size (its viewBox stays the layout's), so the
// browser's own scrolling pans it. The SVG is looked up on each click: live refreshes replace it.
(() => {
  let scale = 1;
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-zoom]") : null;
    const svg = document.getElementById("lineage");
    if (!button || !svg) return;
    const [, , width, height] = (svg.getAttribute("viewBox") ?? "0 0 1 1").split(" ").map(Number);
    const action = button.getAttribute("data-zoom");
    if (action === "in") scale = Math.min(4, scale * 1.25);
    else if (action === "out") scale = Math.max(0.05, scale / 1.25);
    else scale = Math.min(1, (svg.parentElement?.clientWidth ?? width) / width);
    svg.setAttribute("width", String(Math.round(width * scale)));
    svg.setAttribute("height", String(Math.round(height * scale)));
  });
})();
