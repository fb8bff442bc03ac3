// The fleet view: start a fleet run, then poll GET /api/fleet while the view is shown.

import { api, describeDetail } from "./api.js";
import { el } from "./format.js";
import { repoIdProblem } from "./repo_id.js";

const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);

const STATE_PILL = { starting: "pill-wait", running: "pill-rec", finished: "pill-ok", stopped: "pill-wait", error: "pill-bad" };

// A field of the fleet's REST body (its last part: "session.repo_id" -> repo_id) -> the
// label of its control here.
const FIELD_LABELS = {
  workers: "Workers",
  address: "Ray address",
  task: "Task",
  device: "Device",
  repo_id: "Dataset repo id",
  episodes: "Episodes",
  seed: "First seed",
  camera_width: "Camera",
  camera_height: "Camera",
};

export class FleetView {
  constructor() {
    this.timer = null;
    this.watched = null; // the worker whose thumbnail is shown
    this.thumbUrl = null;
    $("fleet-workers").addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-worker]");
      if (!row) return;
      this.watched = row.dataset.worker;
      $("fleet-thumb-caption").textContent = `${this.watched}: newest frame`;
      this.refreshThumbnail();
    });
    $("fleet-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.start();
    });
    $("fleet-stop").addEventListener("click", () => this.stop());
    $("fl-task").addEventListener("change", () => this.taskChanged());
    this.tasks = [];
  }

  // The tasks a session can run, from /api/options (the Record form's list).
  setOptions(options) {
    this.tasks = options.tasks || [];
    const select = $("fl-task");
    const chosen = select.value || options.defaults?.task;
    select.replaceChildren(...this.tasks.map((t) => el("option", { value: t.name, text: t.name })));
    if (this.tasks.some((t) => t.name === chosen)) select.value = chosen;
    this.taskChanged();
  }

  taskChanged() {
    const task = this.tasks.find((t) => t.name === $("fl-task").value);
    $("fl-task-hint").textContent = task ? task.text : "";
  }

  showError(message) {
    const note = $("fleet-error");
    note.textContent = message;
    note.hidden = !message;
  }

  // A refused start or stop in the form's words.
  describeError(err) {
    const data = err.data || {};
    if (data.exists) {
      return (
        `“${data.exists.repo_id}” already exists on the server. ` +
        "Tick Resume to add episodes to it, or enter another Dataset repo id."
      );
    }
    if (err.status === 422 && Array.isArray(data.detail)) {
      return describeDetail(data.detail, (loc) => FIELD_LABELS[loc.split(".").pop()] || loc);
    }
    return err.message;
  }

  // Problems the page can see before asking the server.
  formProblem() {
    const problem = repoIdProblem($("fl-repo").value, "Dataset repo id");
    if (problem) return problem;
    if (!/^\d+x\d+$/.test($("fl-camera").value.trim())) {
      return "Camera: enter the size as WIDTHxHEIGHT, e.g. 640x480.";
    }
    return null;
  }

  setVisible(visible) {
    clearInterval(this.timer);
    this.timer = null;
    if (!visible) return;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), POLL_MS);
  }

  body() {
    const [width, height] = $("fl-camera").value.trim().split("x").map(Number);
    return {
      workers: Number($("fl-workers").value),
      address: $("fl-address").value.trim() || null,
      session: {
        episodes: Number($("fl-episodes").value),
        env: { task: $("fl-task").value.trim(), camera_width: width, camera_height: height },
        // A policy's server is the one this server is configured with; nobody takes over.
        ...($("fl-device").value === "policy" ? { policy: {}, devices: [] } : { devices: [{ type: "scripted" }] }),
        dataset: { repo_id: $("fl-repo").value.trim(), resume: $("fl-resume").checked },
        episode: { seed: Number($("fl-seed").value) },
      },
    };
  }

  async start() {
    const problem = this.formProblem();
    this.showError(problem || "");
    if (problem) return;
    try {
      this.render(await api.post("/api/fleet", this.body()));
    } catch (err) {
      this.showError(this.describeError(err));
    }
  }

  async stop() {
    try {
      this.render(await api.post("/api/fleet/stop"));
    } catch (err) {
      this.showError(this.describeError(err));
    }
  }

  async refresh() {
    try {
      this.render(await api.get("/api/fleet"));
    } catch (err) {
      this.showError(`Cannot read the fleet's status: ${err.message}`);
    }
    this.refreshThumbnail();
  }

  async refreshThumbnail() {
    if (!this.watched) return;
    const path = `/api/fleet/workers/${encodeURIComponent(this.watched)}/thumbnail`;
    let response;
    try {
      response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
    } catch {
      return; // the next poll tries again
    }
    if (response.status !== 200) return; // 204: no frame yet
    const url = URL.createObjectURL(await response.blob());
    const img = $("fleet-thumb");
    img.src = url;
    img.hidden = false;
    if (this.thumbUrl) URL.revokeObjectURL(this.thumbUrl);
    this.thumbUrl = url;
  }

  render(status) {
    $("fleet-state").textContent = status.state;
    $("fleet-state").className = `pill ${STATE_PILL[status.state] || "pill-idle"}`;
    $("fleet-start").disabled = status.running;
    $("fleet-stop").disabled = !status.running;
    if (status.repo_id) {
      $("fleet-summary").textContent =
        `${status.episodes_in_dataset} of ${status.episodes_target} episodes in ` +
        `${status.repo_id} · ${Math.round(status.episodes_per_hour)} episodes/h` +
        (status.message ? ` · ${status.message}` : "");
    }
    const rows = (status.workers || []).map((w) =>
      el(
        "tr",
        {
          dataset: { worker: w.name, state: w.state },
          class: w.name === this.watched ? "selected" : null,
          title: "Click to watch this worker's camera",
        },
        el("td", { text: w.name }),
        el("td", { text: w.state }),
        el("td", { text: w.node || "" }),
        el("td", { text: w.seed ?? "" }),
        el("td", { class: "num", text: w.episodes_saved }),
        el("td", { class: "num", text: w.episodes_failed }),
        el("td", { class: "num", text: `${Math.round(w.episodes_per_hour)}/h` }),
        el("td", { class: "num", text: w.restarts }),
        el("td", { text: w.error || "" }),
      ),
    );
    $("fleet-workers").querySelector("tbody").replaceChildren(...rows);
    const failures = [
      ...(status.errors || []),
      ...Object.entries(status.seeds_failed || {}).map(([seed, why]) => `seed ${seed}: ${why}`),
    ];
    $("fleet-failures").replaceChildren(...failures.map((text) => el("li", { text })));
    const events = (status.events || []).slice(-20).reverse();
    $("fleet-events").replaceChildren(...events.map((text) => el("li", { text })));
  }
}
