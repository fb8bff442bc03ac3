// Synchronized playback of one episode's camera videos. Episodes share video files, so
// each camera starts at its own from_timestamp; the first video is the clock and the
// others are nudged back when they drift. Playback stops at to_timestamp.

import { el } from "./format.js";

const DRIFT_LIMIT_S = 0.08;

export class EpisodePlayer {
  constructor({ container, playButton, scrub, timeLabel, lengthLabel, onTime }) {
    this.container = container;
    this.playButton = playButton;
    this.scrub = scrub;
    this.timeLabel = timeLabel;
    this.lengthLabel = lengthLabel;
    this.onTime = onTime;
    this.clips = []; // {video, from, to}
    this.length = 0;
    this.playing = false;
    this.frame = null;
    this.ended = false;
    playButton.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    scrub.addEventListener("input", () => this.seek((scrub.value / 1000) * this.length));
  }

  load(videos) {
    this.pause();
    this.container.replaceChildren();
    this.clips = Object.entries(videos || {}).map(([camera, v]) => {
      const video = el("video", { muted: true, playsinline: true, preload: "auto", "data-camera": camera });
      video.muted = true;
      const clip = { camera, video, from: v.from_timestamp ?? v.from_s, to: v.to_timestamp ?? v.to_s, ready: false };
      video.addEventListener("loadedmetadata", () => {
        clip.ready = true;
        video.currentTime = clip.from;
      });
      video.addEventListener("error", () => {
        const code = video.error ? video.error.code : "?";
        console.warn(`video ${camera} cannot be played here (media error ${code})`);
        video.replaceWith(el("p", { class: "form-error", text: `This browser cannot play the ${camera} video (error ${code}).` }));
      });
      video.src = v.url;
      this.container.append(el("figure", {}, video, el("figcaption", { text: camera })));
      return clip;
    });
    this.length = this.clips.length ? Math.max(...this.clips.map((c) => c.to - c.from)) : 0;
    this.lengthLabel.textContent = `${this.length.toFixed(2)} s`;
    this.ended = false;
    this.show(0);
  }

  position() {
    const master = this.clips[0];
    return master ? Math.max(0, master.video.currentTime - master.from) : 0;
  }

  async play() {
    if (!this.clips.length) return;
    if (this.ended || this.position() >= this.length - 0.02) this.seek(0);
    this.ended = false;
    this.playing = true;
    this.playButton.textContent = "❚❚ Pause";
    try {
      await Promise.all(this.clips.map((c) => c.video.play()));
    } catch (err) {
      // pause() during the play() promise rejects it with AbortError: not a problem.
      if (err.name !== "AbortError") console.warn(`playback failed: ${err.message}`);
    }
    const tick = () => {
      if (!this.playing) return;
      const t = this.position();
      for (const clip of this.clips.slice(1)) {
        const want = clip.from + t;
        if (Math.abs(clip.video.currentTime - want) > DRIFT_LIMIT_S) clip.video.currentTime = want;
      }
      // The file may end a frame before to_timestamp (its duration counts the last frame's
      // start): a clock video that stopped has reached the episode's end too.
      if (t >= this.length || this.clips[0].video.ended) {
        this.pause();
        this.ended = true;
        this.seek(this.length);
        return;
      }
      this.show(t);
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  pause() {
    this.playing = false;
    cancelAnimationFrame(this.frame);
    for (const clip of this.clips) clip.video.pause();
    this.playButton.textContent = "▶ Play";
  }

  seek(t) {
    const clamped = Math.max(0, Math.min(this.length, t));
    for (const clip of this.clips) {
      // Never step past this episode's last frame into the next episode of the file.
      clip.video.currentTime = Math.min(clip.from + clamped, clip.to - 0.001);
    }
    this.show(clamped);
  }

  show(t) {
    this.timeLabel.textContent = `${t.toFixed(2)} s`;
    this.scrub.value = String(this.length ? Math.round((t / this.length) * 1000) : 0);
    this.onTime(t);
  }

  unload() {
    this.pause();
    for (const clip of this.clips) {
      clip.video.removeAttribute("src");
      clip.video.load();
    }
    this.clips = [];
    this.container.replaceChildren();
  }
}
