// Push panel: shown for the open dataset. The push route is its own piece of work; the
// panel finds out from the OpenAPI schema whether this server has it, and says so if not.
// The Hugging Face token stays on the server: the panel can set, change or forget the one
// entered here, never read it back.

import { EVENT } from "./events.js";
import { api } from "./api.js";
import { toast } from "./banners.js";
import { repoIdProblem } from "./repo_id.js";

const $ = (id) => document.getElementById(id);

// Where the server's token comes from, in the page's words.
const TOKEN_SOURCE = {
  dashboard: "entered on this page",
  HF_TOKEN: "from HF_TOKEN in the server's environment",
  "login cache": "from `hf auth login` on the server",
};

export class PushPanel {
  constructor() {
    this.repo = null;
    this.available = false;
    this.running = false;
    this.token = { configured: false, source: null };
    $("push-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.start();
    });
    $("hub-token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveToken();
    });
    $("hub-token-change").addEventListener("click", () => this.showTokenForm(true, true));
    $("hub-token-cancel").addEventListener("click", () => this.showTokenForm(false));
    $("hub-token-forget").addEventListener("click", () => this.forgetToken());
  }

  // Whether the server has a Hub token (from the admin's environment or entered here).
  async checkToken() {
    let status = { configured: false, source: null };
    try {
      status = await api.get("/api/hub/token");
    } catch (err) {
      toast(`Cannot ask the server about its Hub token: ${err.message}`, "bad");
    }
    this.token = status;
    this.showTokenForm(!status.configured);
    return status.configured;
  }

  // The token form (to enter a first token, or change it) or the line saying one is set;
  // the cursor goes to the form only when the operator asked for it (hotkeys stay live).
  showTokenForm(editing, focus = false) {
    const { configured, source } = this.token;
    $("hub-token-form").hidden = !editing;
    $("hub-token-cancel").hidden = !configured;
    $("hub-token-error").hidden = true;
    $("hub-token-set").hidden = editing || !configured;
    $("hub-token-status").textContent = configured
      ? `Token: set (${TOKEN_SOURCE[source] || source}).`
      : "";
    // Only the token entered here can be forgotten here; the others belong to the server.
    $("hub-token-forget").hidden = source !== "dashboard";
    if (editing && focus) $("hub-token").focus();
  }

  tokenError(message) {
    const note = $("hub-token-error");
    note.textContent = message;
    note.hidden = !message;
  }

  async saveToken() {
    const input = $("hub-token");
    const token = input.value.trim();
    if (token.length < 8) {
      this.tokenError("Paste the whole token: Hugging Face tokens start with hf_ and are longer than 8 characters.");
      input.focus();
      return;
    }
    try {
      await api.put("/api/hub/token", { token });
    } catch (err) {
      this.tokenError(`The token was not saved: ${err.message}`);
      return;
    }
    input.value = "";
    await this.checkToken();
  }

  async forgetToken() {
    try {
      await api.del("/api/hub/token");
    } catch (err) {
      this.tokenError(`The token was not forgotten: ${err.message}`);
      return;
    }
    await this.checkToken();
  }

  async detect() {
    try {
      const schema = await api.get("/openapi.json");
      this.available = Object.keys(schema.paths || {}).some((p) => /^\/api\/datasets\/.*\/push$/.test(p));
    } catch {
      this.available = false;
    }
    $("push-form").hidden = !this.available;
    $("push-unavailable").hidden = this.available;
    if (this.available) await this.checkToken();
  }

  // A push under way when the page (re)loads: the socket's hello carries its status.
  hello(status) {
    if (!status?.running) return;
    this.running = true;
    $("push-start").disabled = true;
    const p = status.progress;
    const fraction = p?.bytes_total ? p.bytes_done / p.bytes_total : p?.files_total ? p.files_done / p.files_total : 0;
    this.progress(fraction, `Pushing ${status.dataset} to ${status.repo_id}…`);
  }

  show(repo) {
    this.repo = repo;
    $("push-panel").hidden = false;
    if (!$("push-repo").value || !this.running) $("push-repo").value = repo;
  }

  async start() {
    if (!this.repo || this.running) return;
    const target = $("push-repo").value.trim() || this.repo;
    const problem = repoIdProblem(target, "Hub repo id");
    if (problem) {
      this.failed(problem);
      $("push-repo").focus();
      return;
    }
    const tags = $("push-tags").value.split(",").map((t) => t.trim()).filter(Boolean);
    const body = { repo_id: target, private: $("push-private").checked, tags };
    this.running = true;
    $("push-start").disabled = true;
    this.progress(0, "Starting the push…");
    $("push-url").hidden = true;
    try {
      const result = await api.post(`/api/datasets/${this.repo}/push`, body);
      if (result && result.url) this.finished(result.url);
    } catch (err) {
      this.failed(`Push failed: ${err.message}`);
    }
  }

  progress(fraction, text, error = false) {
    $("push-progress").hidden = false;
    $("push-bar").style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
    const status = $("push-status");
    status.textContent = text;
    status.className = error ? "push-status form-error" : "push-status muted";
    status.setAttribute("role", error ? "alert" : "status");
  }

  // Said in the panel, as an error, where the operator looks; no toast over the page.
  failed(text) {
    this.running = false;
    $("push-start").disabled = false;
    this.progress(0, text, true);
  }

  finished(url) {
    this.running = false;
    $("push-start").disabled = false;
    this.progress(1, "Pushed.");
    const link = $("push-url");
    link.hidden = false;
    link.firstElementChild.href = url;
    link.firstElementChild.textContent = url;
  }

  // Websocket events of a push (started, progress, finished, failed).
  event(ev) {
    const d = ev.data || {};
    if (ev.kind === EVENT.PUSH_STARTED) {
      this.progress(0, ev.message);
    } else if (ev.kind === EVENT.PUSH_PROGRESS) {
      const fraction = d.bytes_total ? d.bytes_done / d.bytes_total : d.files_total ? d.files_done / d.files_total : 0;
      this.progress(d.phase === "done" ? 1 : fraction, ev.message);
    } else if (ev.kind === EVENT.PUSH_FINISHED) {
      this.finished(d.url);
    } else if (ev.kind === EVENT.PUSH_FAILED) {
      this.failed(ev.message);
      if ($("view-datasets").hidden) toast(ev.message, "bad", 8000); // the panel is out of sight
    }
  }
}
