// Launch and backfill dialogs and action buttons. Mutating API calls carry the bearer token the
// user entered once (kept in this browser's localStorage, never rendered by the server).
(() => {
  const TOKEN_KEY = "strata-ui-token";
  const toast = (text, href) => {
    const box = document.getElementById("toast");
    if (!box) return;
    box.replaceChildren(document.createTextNode(`${text} `));
    if (href) {
      const link = document.createElement("a");
      link.href = href;
      link.textContent = "open";
      box.append(link);
    }
    box.hidden = false;
    setTimeout(() => {
      box.hidden = true;
    }, 8000);
  };

  const call = async (endpoint, payload) => {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${localStorage.getItem(TOKEN_KEY) ?? ""}`,
      },
      body: JSON.stringify(payload ?? {}),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(`${body.code ?? response.status}: ${body.message ?? "request failed"}`);
    return body;
  };

  const open = (id, selection) => {
    const dialog = document.getElementById(id);
    if (!dialog) return;
    const form = dialog.querySelector("form");
    if (selection !== undefined && form?.elements.selection) form.elements.selection.value = selection;
    if (form?.elements.token) form.elements.token.value = localStorage.getItem(TOKEN_KEY) ?? "";
    const error = dialog.querySelector(".error");
    if (error) error.hidden = true;
    dialog.showModal();
  };

  document.addEventListener("click", async (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const opener = target?.closest("[data-open]");
    if (opener) {
      open(opener.getAttribute("data-open"), opener.dataset.selection);
      return;
    }
    const poster = target?.closest("[data-post]");
    if (!poster) return;
    if (!localStorage.getItem(TOKEN_KEY)) {
      open("token-dialog");
      return;
    }
    try {
      await call(poster.getAttribute("data-post"));
      toast("Done.");
      window.strataRefresh?.();
    } catch (error) {
      toast(error.message);
    }
  });

  for (const form of document.querySelectorAll("dialog form")) {
    form.addEventListener("submit", async (event) => {
      const dialog = form.closest("dialog");
      if (event.submitter?.value === "cancel") return;
      event.preventDefault();
      const fields = Object.fromEntries(new FormData(form));
      if (fields.token) localStorage.setItem(TOKEN_KEY, String(fields.token));
      if (form.dataset.tokenOnly !== undefined) {
        dialog.close();
        return;
      }
      const payload = {};
      for (const name of ["selection", "partition", "from", "to"]) {
        const value = String(fields[name] ?? "").trim();
        if (value) payload[name] = value;
      }
      const error = form.querySelector(".error");
      try {
        const answer = await call(form.dataset.endpoint, payload);
        dialog.close();
        if (answer.run) toast(`Run ${answer.run.runId.slice(0, 8)} launched.`, `/runs/${answer.run.runId}`);
        else if (answer.backfill)
          toast(`Backfill of ${answer.backfill.partitions.length} partitions launched.`, "/runs");
        window.strataRefresh?.();
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
      }
    });
  }
})();
