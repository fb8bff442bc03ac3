// Push panel: shown for the open dataset. The push route is its own piece of work; the
// panel finds out from the OpenAPI schema whether this server has it, and says so if not.

import { EVENT } from "./events.js";
import { api } from "./api.js";
import { toast } from "./banners.js";

const $ = (id) => document.getElementById(id);

export class PushPanel {
  constructor() {
    this.repo = null;
    this.available = false;
    this.running = false;
    $("push-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.start();
    });
    $("hub-token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveToken();
    });
  }

  // Whether the server has a Hub token (from the admin's environment or entered here).
  async checkToken() {
    let status = { configured: false };
    try {
      status = await api.get("/api/hub/token");
    } catch (err) {
      toast(`Cannot ask the server about its Hub token: ${err.message}`, "bad");
    }
    $("hub-token-form").hidden = status.configured;
    const note = $("hub-token-status");
    note.hidden = !status.configured;
    note.textContent = status.configured ? `Hugging Face token: set (${status.source}).` : "";
    return status.configured;
  }

  async saveToken() {
    const input = $("hub-token");
    try {
      await api.put("/api/hub/token", { token: input.value.trim() });
      input.value = "";
      await this.checkToken();
    } catch (err) {
      toast(`The token was not saved: ${err.message}`, "bad");
    }
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

  show(repo) {
    this.repo = repo;
    $("push-panel").hidden = false;
    if (!$("push-repo").value || !this.running) $("push-repo").value = repo;
  }

  async start() {
    if (!this.repo || this.running) return;
    const tags = $("push-tags").value.split(",").map((t) => t.trim()).filter(Boolean);
    const body = { repo_id: $("push-repo").value.trim() || this.repo, private: $("push-private").checked, tags };
    this.running = true;
    $("push-start").disabled = true;
    this.progress(0, "Starting the push…");
    $("push-url").hidden = true;
    try {
      const result = await api.post(`/api/datasets/${this.repo}/push`, body);
      if (result && result.url) this.finished(result.url);
    } catch (err) {
      this.progress(0, `Push failed: ${err.message}`);
      toast(`Push failed: ${err.message}`, "bad");
      this.running = false;
      $("push-start").disabled = false;
    }
  }

  progress(fraction, text) {
    $("push-progress").hidden = false;
    $("push-bar").style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
    $("push-status").textContent = text;
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
      this.running = false;
      $("push-start").disabled = false;
      this.progress(0, ev.message);
      toast(ev.message, "bad", 8000);
    }
  }
}
