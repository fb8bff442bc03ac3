// The local dataset browser: datasets -> episodes (outcome, length, QC) -> playback,
// trajectory plot and delete with confirm.

import { api } from "./api.js";
import { toast } from "./banners.js";
import { bytes, el, number } from "./format.js";
import { ProgressLine } from "./operations.js";
import { EpisodePlayer } from "./player.js";
import { TrajectoryPlot } from "./plot.js";

const $ = (id) => document.getElementById(id);

// A row's `dropped` (all cameras) is null where the dataset does not record drops (written by
// lerobot or another tool: unknown, not 0).
const DROPPED_UNKNOWN = "not recorded: this dataset was written by another tool (lerobot?)";

export function episodeIndex(e) {
  return e.index;
}

export class DatasetBrowser {
  constructor(confirm, push, operations) {
    this.confirm = confirm;
    this.push = push;
    this.operations = operations;
    this.replayProgress = new ProgressLine($("replay-progress"));
    this.picked = new Set(); // datasets ticked for a merge
    this.onPicked = () => {};
    this.onOpened = () => {};
    this.datasets = [];
    this.current = null; // summary of the open dataset
    this.episodes = [];
    this.episode = null;
    this.plot = new TrajectoryPlot($("plot"), $("plot-legend"));
    this.player = new EpisodePlayer({
      container: $("player-videos"),
      playButton: $("player-play"),
      scrub: $("player-scrub"),
      timeLabel: $("player-time"),
      lengthLabel: $("player-length"),
      onTime: (t) => this.plot.setCursor(t),
    });
    $("datasets-refresh").addEventListener("click", () => this.refresh());
    $("player-delete").addEventListener("click", () => this.deleteEpisode());
    $("player-replay").addEventListener("click", () => this.replayEpisode());
    this.setupEpisodeTable();
  }

  async refresh() {
    try {
      this.datasets = await api.get("/api/datasets");
    } catch (err) {
      toast(`Cannot list datasets: ${err.message}`, "bad");
      return;
    }
    const body = $("datasets-table").querySelector("tbody");
    const known = new Set(this.datasets.map((d) => d.repo_id));
    for (const repo of this.picked) if (!known.has(repo)) this.picked.delete(repo);
    body.replaceChildren(
      ...this.datasets.map((d) => {
        const pick = el("input", { type: "checkbox", class: "merge-pick", value: d.repo_id, "aria-label": `Pick ${d.repo_id} to merge` });
        pick.checked = this.picked.has(d.repo_id);
        pick.addEventListener("click", (ev) => ev.stopPropagation());
        pick.addEventListener("change", () => {
          if (pick.checked) this.picked.add(d.repo_id);
          else this.picked.delete(d.repo_id);
          this.onPicked(this.picked);
        });
        const row = el(
          "tr",
          { "data-repo": d.repo_id, "aria-selected": String(this.current?.repo_id === d.repo_id) },
          el("td", {}, pick),
          el("td", { text: d.repo_id }),
          el("td", { text: String(d.episodes) }),
          el("td", { text: String(d.frames) }),
          el("td", { text: String(d.fps ?? "–") }),
          el("td", { text: d.size_bytes != null ? bytes(d.size_bytes) : "–" }),
        );
        row.addEventListener("click", () => this.open(d));
        return row;
      }),
    );
    $("datasets-empty").hidden = this.datasets.length > 0;
    this.onPicked(this.picked);
    if (this.current) {
      const again = this.datasets.find((d) => d.repo_id === this.current.repo_id);
      if (again) this.current = again;
    }
  }

  async open(summary) {
    this.current = summary;
    for (const tr of $("datasets-table").querySelectorAll("tbody tr")) {
      tr.setAttribute("aria-selected", String(tr.dataset.repo === summary.repo_id));
    }
    $("dataset-detail").hidden = false;
    $("dataset-title").textContent = `Episodes of ${summary.repo_id}`;
    this.onOpened(summary);
    this.closePlayer();
    if (this.current?.repo_id !== this.openedRepo) {
      this.openedRepo = summary.repo_id;
      Object.assign(this.query, { offset: 0, outcome: "", suspect: false });
      $("ep-suspect").checked = false;
      this.selected.clear();
    }
    this.push.show(summary.repo_id);
    await this.loadEpisodes();
  }

  // One page of the open dataset's episodes, sorted and filtered on the server: a dataset of
  // thousands of episodes never comes to the page whole.
  async loadEpisodes() {
    const repo = this.current.repo_id;
    const q = this.query;
    const params = new URLSearchParams({ offset: q.offset, limit: q.limit, sort: q.sort, order: q.order });
    if (q.outcome) params.set("outcome", q.outcome);
    if (q.suspect) params.set("suspect", "true");
    let page;
    const ticket = (this.pageRequests = (this.pageRequests || 0) + 1);
    try {
      page = await api.get(`/api/datasets/${repo}/episodes/page?${params}`);
      if (ticket !== this.pageRequests) return; // a newer request (filter, sort, page) won
    } catch (err) {
      if (ticket !== this.pageRequests) return;
      toast(`Cannot load the episodes of ${repo}: ${err.message}`, "bad");
      page = { total: 0, matched: 0, offset: 0, limit: q.limit, outcomes: {}, suspect: 0, items: [] };
    }
    this.page = page;
    this.episodes = page.items;
    this.renderFilters(page);
    const fps = this.current.fps;
    const body = $("episodes-table").querySelector("tbody");
    body.replaceChildren(
      ...this.episodes.map((e) => {
        const outcome = e.outcome || "unknown";
        const problems = e.qc_flags; // computed by the dataset layer
        const index = episodeIndex(e);
        const pick = el("input", { type: "checkbox", "aria-label": `Select episode ${index}` });
        pick.checked = this.selected.has(index);
        pick.addEventListener("click", (ev) => ev.stopPropagation());
        pick.addEventListener("change", () => {
          if (pick.checked) this.selected.add(index);
          else this.selected.delete(index);
          this.renderSelection();
        });
        const row = el(
          "tr",
          { "data-episode": String(index), "aria-selected": String(episodeIndex(this.episode ?? {}) === index), class: problems.length ? "suspect" : "" },
          el("td", {}, pick),
          el("td", { text: String(index) }),
          el("td", {}, el("span", { class: `badge badge-${["success", "failure", "timeout", "error"].includes(outcome) ? outcome : "other"}`, text: outcome })),
          el("td", { class: "num", text: `${e.length} (${fps ? (e.length / fps).toFixed(1) : "?"} s)` }),
          el("td", { class: "mono num", text: number(e.fps_achieved) }),
          el("td", { class: "mono num", text: e.period_p99_ms != null ? `${number(e.period_p99_ms)} ms` : "–" }),
          e.dropped == null
            ? el("td", { class: "mono muted", text: "unknown", title: DROPPED_UNKNOWN })
            : el("td", { class: "mono", text: String(e.dropped) }),
          qcCell(problems, e.paced),
          el("td", {}, el("button", { class: "btn btn-ghost", type: "button", text: "Play" })),
        );
        row.addEventListener("click", () => this.openEpisode(e));
        return row;
      }),
    );
    $("episodes-empty").hidden = this.episodes.length > 0;
    $("episodes-empty").textContent = page.total ? "No episode matches these filters." : "This dataset has no episodes.";
    this.renderSelection();
  }

  renderFilters(page) {
    const select = $("ep-outcome");
    const chosen = this.query.outcome;
    select.replaceChildren(
      el("option", { value: "", text: `all (${page.total})` }),
      ...Object.entries(page.outcomes).map(([name, n]) => el("option", { value: name, text: `${name} (${n})` })),
    );
    select.value = chosen;
    $("ep-suspect-count").textContent = `(${page.suspect})`;
    const from = page.matched ? page.offset + 1 : 0;
    const to = page.offset + page.items.length;
    $("ep-range").textContent = `${from}–${to} of ${page.matched}${page.matched !== page.total ? ` (of ${page.total})` : ""}`;
    $("ep-prev").disabled = page.offset <= 0;
    $("ep-next").disabled = to >= page.matched;
  }

  renderSelection() {
    const n = this.selected.size;
    const button = $("ep-delete-selected");
    button.disabled = n === 0;
    button.textContent = n ? `Delete ${n} selected…` : "Delete selected…";
    const onPage = this.episodes.map(episodeIndex);
    $("ep-select-page").checked = onPage.length > 0 && onPage.every((i) => this.selected.has(i));
  }

  setupEpisodeTable() {
    this.query = { offset: 0, limit: 50, sort: "index", order: "asc", outcome: "", suspect: false };
    this.selected = new Set();
    this.page = null;
    const reload = () => {
      this.query.offset = 0;
      this.loadEpisodes();
    };
    $("ep-outcome").addEventListener("change", (e) => {
      this.query.outcome = e.target.value;
      reload();
    });
    $("ep-suspect").addEventListener("change", (e) => {
      this.query.suspect = e.target.checked;
      reload();
    });
    $("ep-sort").addEventListener("change", (e) => {
      this.query.sort = e.target.value;
      reload();
    });
    $("ep-order").addEventListener("change", (e) => {
      this.query.order = e.target.value;
      reload();
    });
    $("ep-prev").addEventListener("click", () => {
      this.query.offset = Math.max(0, this.query.offset - this.query.limit);
      this.loadEpisodes();
    });
    $("ep-next").addEventListener("click", () => {
      this.query.offset += this.query.limit;
      this.loadEpisodes();
    });
    $("ep-select-page").addEventListener("change", (e) => {
      for (const ep of this.episodes) {
        if (e.target.checked) this.selected.add(episodeIndex(ep));
        else this.selected.delete(episodeIndex(ep));
      }
      this.loadEpisodes();
    });
    $("ep-delete-selected").addEventListener("click", () => this.deleteSelected());
    $("episode-filters").addEventListener("submit", (e) => e.preventDefault());
  }

  async deleteSelected() {
    const indices = [...this.selected].sort((a, b) => a - b);
    if (!indices.length) return;
    const repo = this.current.repo_id;
    const shown = indices.length > 12 ? `${indices.slice(0, 12).join(", ")}, …` : indices.join(", ");
    const ok = await this.confirm(
      `Delete ${indices.length} episode${indices.length === 1 ? "" : "s"}?`,
      `Episodes ${shown} of ${repo} are removed from disk; later episodes are renumbered. This cannot be undone.`,
    );
    if (!ok) return;
    try {
      await api.post(`/api/datasets/${repo}/episodes/delete`, { indices });
    } catch (err) {
      toast(`Delete failed: ${err.message}`, "bad");
      return;
    }
    toast(`Deleted ${indices.length} episode(s) of ${repo}`, "ok");
    this.selected.clear();
    this.closePlayer();
    await this.refresh();
    await this.loadEpisodes();
  }

  // A link to one episode (an evaluation report's "#datasets/NS/NAME/INDEX"): open its
  // dataset and play it.
  async showEpisode(repo, index) {
    await this.refresh();
    const summary = this.datasets.find((d) => d.repo_id === repo);
    if (!summary) {
      toast(`No dataset ${repo} on this server`, "bad");
      return;
    }
    await this.open(summary);
    let episodes;
    try {
      episodes = await api.get(`/api/datasets/${repo}/episodes?offset=${index}&limit=1`);
    } catch (err) {
      toast(`Cannot load episode ${index} of ${repo}: ${err.message}`, "bad");
      return;
    }
    if (!episodes.length) toast(`${repo} has no episode ${index}`, "bad");
    else await this.openEpisode(episodes[0]);
  }

  async openEpisode(episode) {
    this.episode = episode;
    for (const tr of $("episodes-table").querySelectorAll("tbody tr")) {
      tr.setAttribute("aria-selected", String(tr.dataset.episode === String(episodeIndex(episode))));
    }
    const repo = this.current.repo_id;
    const opening = $("player").hidden;
    $("player").hidden = false;
    if (opening) $("player").scrollIntoView({ block: "start" }); // below the fold on a laptop
    $("player-title").textContent = `${repo} · episode ${episodeIndex(episode)} · ${episode.outcome || ""}`;
    this.player.load(episode.videos);
    $("replay-result").hidden = true;
    try {
      const signals = await api.get(`/api/datasets/${repo}/episodes/${episodeIndex(episode)}/signals`);
      this.plot.set(signals);
    } catch (err) {
      toast(`Cannot load the joint trajectories: ${err.message}`, "bad");
    }
  }

  // Replays the episode in the sim and plays the replayed cameras beside the recorded ones;
  // the frames stepped so far show while it runs (a replay takes about as long as the
  // episode, longer on a busy machine).
  async replayEpisode() {
    const episode = this.episode;
    if (!episode) return;
    const repo = this.current.repo_id;
    const index = episodeIndex(episode);
    const button = $("player-replay");
    const out = $("replay-result");
    button.disabled = true;
    button.textContent = "Replaying…";
    out.hidden = true;
    out.dataset.state = "running";
    this.replayProgress.start(`Replaying episode ${index} in the sim from seed ${episode.seed ?? "?"}…`);
    const watch = this.operations.watch("replay", `${repo}#${index}`, (op) => {
      this.replayProgress.update(op);
      if (op.total) button.textContent = `Replaying… ${Math.floor((100 * op.done) / op.total)} %`;
    });
    let r;
    try {
      r = await api.post(`/api/datasets/${repo}/episodes/${index}/replay`);
      await watch.settle();
    } catch (err) {
      watch.close();
      this.replayProgress.hide();
      out.hidden = false;
      out.dataset.state = "error";
      out.textContent = `Replay failed: ${err.message}`;
      return;
    } finally {
      button.disabled = false;
      button.textContent = "Replay in sim";
    }
    this.replayProgress.hide();
    out.hidden = false;
    out.dataset.state = r.same_outcome ? "same" : "different";
    out.textContent =
      `${r.success ? "✓ The task succeeds again" : "✗ The task does not succeed"} in the replay ` +
      `(recorded: ${r.recorded_outcome || "unknown"}, seed ${r.seed}, ${r.frames} frames). ` +
      `Joint-state error: max ${r.joint_error_max.toFixed(2)}, mean ${r.joint_error_mean.toFixed(3)} (normalized units).`;
    const length = r.frames / (this.current.fps || 30);
    const videos = { ...episode.videos };
    for (const [camera, url] of Object.entries(r.videos)) {
      videos[`${camera} · replayed`] = { url, from_s: 0, to_s: length };
    }
    this.player.load(sideBySide(videos));
  }

  closePlayer() {
    this.player.unload();
    this.episode = null;
    $("player").hidden = true;
  }

  async deleteEpisode() {
    const episode = this.episode;
    if (!episode) return;
    const repo = this.current.repo_id;
    const ok = await this.confirm(
      `Delete episode ${episodeIndex(episode)}?`,
      `Episode ${episodeIndex(episode)} of ${repo} (${episode.length} frames, ${episode.outcome}) is removed from disk; ` +
        "later episodes are renumbered. This cannot be undone.",
    );
    if (!ok) return;
    try {
      await api.del(`/api/datasets/${repo}/episodes/${episodeIndex(episode)}`);
    } catch (err) {
      toast(`Delete failed: ${err.message}`, "bad");
      return;
    }
    toast(`Deleted episode ${episodeIndex(episode)} of ${repo}`, "ok");
    this.selected.clear(); // later episodes were renumbered
    this.closePlayer();
    await this.refresh();
    await this.loadEpisodes();
  }
}

// Each recorded camera followed by its replay, so they sit side by side in the grid.
function sideBySide(videos) {
  const out = {};
  for (const [camera, video] of Object.entries(videos)) {
    if (camera.endsWith(" · replayed")) continue;
    out[`${camera} · recorded`] = video;
    const replayed = videos[`${camera} · replayed`];
    if (replayed) out[`${camera} · replayed`] = replayed;
  }
  return out;
}

// An episode's QC: its flags, or OK. An unpaced loop (scripted, lockstep evaluations) stamps
// frame i at i / fps, so its timestamps are exact whatever the loop's own rate was, and the
// server raises no timing flag for it: say so instead of a bare OK.
function qcCell(problems, paced) {
  if (problems.length) return el("td", { class: "qc-flag", text: `⚠ ${problems.join(", ")}` });
  if (paced === false) {
    return el("td", { class: "qc-exact", text: "unpaced: timestamps exact", title: "The loop ran unpaced: no timing check applies" });
  }
  return el("td", { class: "qc-ok", text: "OK" });
}
