// The fleet view: start a fleet run, then poll GET /api/fleet while the view is shown.

import { api } from "./api.js";
import { el } from "./format.js";

const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);

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
  }

  setVisible(visible) {
    clearInterval(this.timer);
    this.timer = null;
    if (!visible) return;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), POLL_MS);
  }

  body() {
    const [width, height] = $("fl-camera").value.split("x").map(Number);
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
    $("fleet-error").textContent = "";
    try {
      this.render(await api.post("/api/fleet", this.body()));
    } catch (err) {
      $("fleet-error").textContent = err.message;
    }
  }

  async stop() {
    try {
      this.render(await api.post("/api/fleet/stop"));
    } catch (err) {
      $("fleet-error").textContent = err.message;
    }
  }

  async refresh() {
    try {
      this.render(await api.get("/api/fleet"));
    } catch (err) {
      $("fleet-error").textContent = err.message;
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
