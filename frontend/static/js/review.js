// Review before keeping (session option `review`): the oldest saved episode awaiting review
// plays here (every camera, looping) with its joint plot; Keep (Y) or Discard (X). The
// episodes are committed before review, so closing the page loses nothing: an unreviewed
// episode stays kept.

import { api } from "./api.js";
import { toast } from "./banners.js";
import { el } from "./format.js";
import { TrajectoryPlot } from "./plot.js";

const $ = (id) => document.getElementById(id);

export class ReviewPanel {
  constructor() {
    this.section = $("review");
    this.plot = new TrajectoryPlot($("review-plot"), $("review-legend"));
    this.repo = null;
    this.pending = [];
    this.shown = null; // dataset index on screen
    this.busy = false;
    this.minTick = 0; // snapshots older than a decision still list the decided episode
    $("review-keep").addEventListener("click", () => this.decide("keep"));
    $("review-discard").addEventListener("click", () => this.decide("discard"));
  }

  setSnapshot(snapshot) {
    if (snapshot.phase === "idle") this.minTick = 0; // ticks restart with the next session
    if (this.busy || (snapshot.tick ?? Infinity) < this.minTick) return;
    const pending = snapshot.pending_review || [];
    this.repo = snapshot.repo_id;
    this.pending = pending;
    if (!pending.length) {
      if (this.shown !== null) this.clear();
      return;
    }
    $("review-waiting").textContent = pending.length > 1 ? `${pending.length - 1} more waiting.` : "";
    if (this.shown !== pending[0]) this.show(pending[0]);
  }

  async show(index) {
    this.shown = index;
    this.section.hidden = false;
    $("review-title").textContent = `Review episode ${index}`;
    this.section.dataset.episode = String(index);
    const repo = this.repo;
    try {
      const page = await api.get(`/api/datasets/${repo}/episodes/page?offset=${index}&limit=1`);
      const episode = page.items[0];
      if (this.shown !== index || !episode) return;
      $("review-title").textContent = `Review episode ${index} · ${episode.outcome} · ${Number(episode.duration_s).toFixed(1)} s`;
      $("review-videos").replaceChildren(
        ...Object.entries(episode.videos).map(([camera, v]) => el("figure", {}, loopingClip(v), el("figcaption", { text: camera }))),
      );
      const signals = await api.get(`/api/datasets/${repo}/episodes/${index}/signals`);
      if (this.shown === index) this.plot.set(signals);
    } catch (err) {
      toast(`Cannot load episode ${index} for review: ${err.message}`, "bad");
    }
  }

  clear() {
    this.shown = null;
    this.section.hidden = true;
    for (const video of $("review-videos").querySelectorAll("video")) {
      video.removeAttribute("src");
      video.load();
    }
    $("review-videos").replaceChildren();
  }

  async decide(decision) {
    const index = this.shown;
    if (index === null || this.busy) return;
    this.busy = true;
    try {
      const after = await api.post(`/api/session/review/${index}/${decision}`);
      // The snapshot answered may predate the decision; the next tick's cannot.
      this.minTick = (after.tick ?? 0) + 1;
      toast(decision === "keep" ? `Kept episode ${index}` : `Discarded episode ${index}`, decision === "keep" ? "ok" : "");
      this.clear();
    } catch (err) {
      toast(`${decision} failed: ${err.message}`, "bad");
    } finally {
      this.busy = false;
    }
  }
}

// One camera's part of a shared video file, looping between its episode's timestamps.
function loopingClip(v) {
  const from = v.from_timestamp ?? v.from_s ?? 0;
  const to = v.to_timestamp ?? v.to_s ?? Infinity;
  const video = el("video", { muted: true, playsinline: true, preload: "auto", autoplay: true });
  video.muted = true;
  video.addEventListener("loadedmetadata", () => {
    video.currentTime = from;
    video.play().catch(() => {});
  });
  video.addEventListener("timeupdate", () => {
    if (video.currentTime >= to - 0.02) video.currentTime = from;
  });
  video.src = v.url;
  return video;
}
