import { type Html, html } from "./html.ts";

/**
 * The launch and backfill dialogs (native <dialog>, driven by /static/dialogs.js). The token field
 * is a password input kept in the browser's localStorage: the server never renders the token.
 */
export function launchDialogs(defaults: { selection?: string; partitioned?: boolean } = {}): Html {
  const token = html`<label>API token <input name="token" type="password" autocomplete="off" placeholder="printed by strata dev on first start"></label>`;
  return html`<dialog id="launch-dialog">
<form method="dialog" data-endpoint="/api/runs">
<h2>Materialize</h2>
<label>Selection <input name="selection" required value="${defaults.selection ?? ""}" placeholder="e.g. silver/sales, +gold/fact_sales, layer:gold"></label>
<fieldset class="${defaults.partitioned ? "" : "muted"}"><legend>Partition (optional)</legend>
<label>Partition <input name="partition" placeholder="YYYY-MM-DD"></label>
<label>or range from <input name="from" placeholder="YYYY-MM-DD"></label>
<label>to <input name="to" placeholder="YYYY-MM-DD"></label>
</fieldset>
${token}
<p class="error" role="alert" hidden></p>
<menu><button value="cancel" formnovalidate>Cancel</button><button class="primary" value="submit" data-submit>Launch run</button></menu>
</form>
</dialog>
<dialog id="backfill-dialog">
<form method="dialog" data-endpoint="/api/backfills">
<h2>Backfill</h2>
<label>Selection <input name="selection" required value="${defaults.selection ?? ""}"></label>
<label>From <input name="from" required placeholder="YYYY-MM-DD"></label>
<label>To <input name="to" required placeholder="YYYY-MM-DD"></label>
${token}
<p class="error" role="alert" hidden></p>
<menu><button value="cancel" formnovalidate>Cancel</button><button class="primary" value="submit" data-submit>Launch backfill</button></menu>
</form>
</dialog>
<dialog id="token-dialog">
<form method="dialog" data-token-only>
<h2>API token</h2>
<p>Actions need the token that <code>strata dev</code> printed on its first start (or STRATA_UI_TOKEN).</p>
${token}
<p class="error" role="alert" hidden></p>
<menu><button value="cancel" formnovalidate>Cancel</button><button class="primary" value="submit" data-submit>Save</button></menu>
</form>
</dialog>`;
}
