// Live camera tiles. Each JPEG is decoded off the main thread with createImageBitmap and
// drawn on a canvas; while one decode is running for a camera only the newest waiting
// frame is kept, so a slow page skips frames instead of piling them up.

import { el } from "./format.js";

const STALE_AFTER_MS = 2000;
const LATENCY_WINDOW = 300;

class CameraTile {
  constructor(name) {
    this.name = name;
    this.canvas = el("canvas", { width: 320, height: 240, "data-camera": name });
    this.rateLabel = el("span", { class: "mono", text: "" });
    this.node = el(
      "figure",
      { class: "camera", "data-camera": name },
      this.canvas,
      el("figcaption", {}, el("span", { text: name }), this.rateLabel),
    );
    this.ctx = this.canvas.getContext("2d");
    this.decoding = false;
    this.pending = null;
    this.times = [];
    this.lastFrameAt = 0;
    this.framesDrawn = 0;
    this.lastTick = -1;
    this.latencies = []; // ms from the frame's making to its drawing, in the server's clock
    this.bytes = 0; // JPEG bytes received
  }

  offer(frame) {
    this.bytes += frame.jpeg.length;
    this.pending = frame;
    if (!this.decoding) this.drain();
  }

  async drain() {
    this.decoding = true;
    while (this.pending) {
      const frame = this.pending;
      this.pending = null;
      let bitmap;
      try {
        bitmap = await createImageBitmap(new Blob([frame.jpeg], { type: "image/jpeg" }));
      } catch (err) {
        console.warn(`camera ${this.name}: could not decode a frame (${err.message})`);
        continue;
      }
      if (this.canvas.width !== bitmap.width || this.canvas.height !== bitmap.height) {
        this.canvas.width = bitmap.width;
        this.canvas.height = bitmap.height;
        this.canvas.style.aspectRatio = `${bitmap.width} / ${bitmap.height}`;
      }
      this.ctx.drawImage(bitmap, 0, 0);
      bitmap.close();
      this.framesDrawn += 1;
      const offset = this.clock && this.clock.offsetMs;
      if (offset != null) {
        this.latencies.push(performance.timeOrigin + performance.now() + offset - frame.frameTime * 1000);
        if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
      }
      this.lastTick = frame.tick;
      const now = performance.now();
      this.lastFrameAt = now;
      this.times.push(now);
      while (this.times.length && now - this.times[0] > 2000) this.times.shift();
      this.node.classList.remove("stale");
    }
    this.decoding = false;
  }

  // Frames per second over the last 2 s, or over the time since the first frame when the
  // tile is younger than that (a fresh session must not look slow).
  rate() {
    const now = performance.now();
    const recent = this.times.filter((t) => now - t <= 2000);
    if (recent.length < 2) return 0;
    const span = Math.max((now - recent[0]) / 1000, (recent.length - 1) / 60);
    return Math.min(recent.length - 1, (recent.length - 1) / Math.min(2, span));
  }

  refresh(active) {
    const stale = active && this.framesDrawn > 0 && performance.now() - this.lastFrameAt > STALE_AFTER_MS;
    this.node.classList.toggle("stale", stale);
    this.rateLabel.textContent = this.framesDrawn ? `${this.rate().toFixed(0)} fps` : "waiting…";
  }
}

export class CameraWall {
  constructor(container, emptyNote) {
    this.container = container;
    this.emptyNote = emptyNote;
    this.tiles = new Map();
    this.clock = null; // the socket's ClockOffset: thumbnails' latency in the server's clock
  }

  tile(name) {
    let tile = this.tiles.get(name);
    if (!tile) {
      tile = new CameraTile(name);
      tile.clock = this.clock;
      this.tiles.set(name, tile);
      this.container.append(tile.node);
      this.emptyNote.hidden = true;
    }
    return tile;
  }

  // Keep one tile per camera the session has (the order the server lists them).
  setCameras(names) {
    for (const name of names) this.tile(name);
  }

  frame(frame) {
    this.tile(frame.name).offer(frame);
  }

  // Called a few times a second: updates rates and marks tiles that stopped updating.
  refresh(active) {
    for (const tile of this.tiles.values()) tile.refresh(active);
  }

  // Per camera: the thumbnails' latency from making to drawing (p50/p99 ms) and bytes.
  latencyFigures() {
    const out = {};
    for (const [name, tile] of this.tiles) {
      const sorted = [...tile.latencies].sort((a, b) => a - b);
      const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.round((q / 100) * (sorted.length - 1)))] : null);
      out[name] = { p50: at(50), p99: at(99), frames: tile.framesDrawn, bytes: tile.bytes };
    }
    return out;
  }

  // The live view's health: the slowest camera's rate and whether any camera stalled.
  figures() {
    const tiles = [...this.tiles.values()];
    const now = performance.now();
    return {
      cameras: tiles.length,
      minRate: tiles.length ? Math.min(...tiles.map((t) => t.rate())) : 0,
      stalled: tiles.some((t) => t.framesDrawn === 0 || now - t.lastFrameAt > STALE_AFTER_MS),
    };
  }
}
