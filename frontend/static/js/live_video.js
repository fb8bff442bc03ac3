// The live video to teleoperate by: one camera over WebRTC (the browser's own
// RTCPeerConnection; the server answers with VP8 or H.264 at the dataset fps), beside the
// JPEG thumbnails, which stay for the other cameras and are the fallback. The line under
// the controls says which is in use.
//
// Glass-to-glass latency: the server stamps each frame's id and time (ms mod 65536) into a
// strip along its bottom edge (server/frame_stamp.py); for every frame the page displays,
// it reads the strip back and compares the time with the expected display time, in the
// server's clock (the socket's offset estimate from ping round trips).

const STAMP_BITS = 40;
const MIN_CELL = 8;
const CONNECT_TIMEOUT_MS = 10000;
const WINDOW = 1800; // frames kept for p50/p99 (60 s at 30 fps)
const STORE = "leisaac.liveVideo";

function percentile(values, q) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

// The stamp of one displayed frame: {id, timeMs} or null when absent or misread.
export function readStamp(pixels, width, height) {
  const cell = Math.floor(width / STAMP_BITS);
  if (cell < MIN_CELL) return null;
  const strip = Math.max(8, Math.floor(Math.floor(height / 30) / 2) * 2);
  const y = height - Math.floor(strip / 2);
  const bytes = [0, 0, 0, 0, 0];
  for (let i = 0; i < STAMP_BITS; i += 1) {
    const x = i * cell + Math.floor(cell / 2);
    const at = (y * width + x) * 4;
    const luma = (pixels[at] + pixels[at + 1] + pixels[at + 2]) / 3;
    if (luma > 127) bytes[i >> 3] |= 0x80 >> (i & 7);
  }
  const [a, b, c, d, check] = bytes;
  if ((a ^ b ^ c ^ d ^ 0x5a) !== check) return null;
  return { id: (a << 8) | b, timeMs: (c << 8) | d };
}

export class LiveVideo {
  constructor({ video, select, button, state, healthRow }, clock) {
    this.video = video;
    this.select = select;
    this.button = button;
    this.stateText = state;
    this.healthRow = healthRow;
    this.clock = clock; // {offsetMs}: server clock - this page's clock, or null
    this.pc = null;
    this.viewerId = null;
    this.mode = "jpeg";
    this.reason = "";
    this.codec = "";
    this.running = false;
    this.cameras = [];
    this.latencies = [];
    this.framesShown = 0;
    this.framesUnreadable = 0;
    this.lastId = null;
    this.framesSkipped = 0;
    this.kbitS = null;
    this.statsTimer = null;
    this.canvas = document.createElement("canvas");
    this.ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    this.wanted = loadWanted();
    this.button.addEventListener("click", () => this.toggle());
    this.select.addEventListener("change", () => {
      if (this.pc) this.restart();
    });
    this.render();
  }

  // The session's cameras and whether a session runs (from each status).
  setSession(cameras, running) {
    const names = cameras || [];
    if (names.join() !== this.cameras.join()) {
      this.cameras = names;
      const chosen = this.select.value;
      this.select.replaceChildren(...names.map((n) => new Option(n, n)));
      if (names.includes(chosen)) this.select.value = chosen;
    }
    this.running = running && names.length > 0;
    if (this.running && this.wanted && !this.pc && this.mode !== "failed") this.start();
    if (!this.running && this.pc) this.stop("jpeg", "");
    if (!this.running && this.mode === "failed") this.mode = "jpeg";
    this.render();
  }

  toggle() {
    this.wanted = !this.wanted;
    saveWanted(this.wanted);
    if (this.wanted && this.running) this.start();
    else this.stop("jpeg", "");
  }

  async restart() {
    this.stop("jpeg", "");
    await this.start();
  }

  async start() {
    if (this.pc) return;
    if (typeof RTCPeerConnection === "undefined") {
      this.stop("failed", "this browser has no WebRTC");
      return;
    }
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    this.mode = "connecting";
    this.reason = "";
    this.resetFigures();
    this.render();
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (event) => {
      // Teleoperation wants the newest frame, not smooth playback: ask the browser for its
      // smallest jitter buffer (Chromium honours jitterBufferTarget; older ones the hint).
      if ("jitterBufferTarget" in event.receiver) event.receiver.jitterBufferTarget = 0;
      else if ("playoutDelayHint" in event.receiver) event.receiver.playoutDelayHint = 0;
      this.video.srcObject = event.streams[0] || new MediaStream([event.track]);
      this.video.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => {
      if (this.pc !== pc) return;
      if (pc.connectionState === "connected") {
        this.mode = "webrtc";
        this.watchFrames();
        this.render();
      } else if (pc.connectionState === "failed") {
        this.stop("failed", "the connection failed (WebRTC needs UDP between this browser and the server)");
      }
    };
    const timer = setTimeout(() => {
      if (this.pc === pc && this.mode === "connecting") {
        this.stop("failed", "no connection within 10 s (WebRTC needs UDP between this browser and the server)");
      }
    }, CONNECT_TIMEOUT_MS);
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await iceGathered(pc);
      const response = await fetch("/api/live/offer", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sdp: pc.localDescription.sdp, type: "offer", camera: this.select.value }),
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.detail || `HTTP ${response.status}`);
      if (this.pc !== pc) return;
      this.viewerId = answer.viewer_id;
      this.codec = answer.codec;
      await pc.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
    } catch (err) {
      clearTimeout(timer);
      if (this.pc === pc) this.stop("failed", `the server did not answer (${err.message})`);
      return;
    }
    this.statsTimer = setInterval(() => this.readStats(), 1000);
  }

  stop(mode, reason) {
    const pc = this.pc;
    this.pc = null;
    clearInterval(this.statsTimer);
    if (pc) pc.close();
    if (this.viewerId != null) {
      fetch(`/api/live/${this.viewerId}`, { method: "DELETE" }).catch(() => {});
      this.viewerId = null;
    }
    this.video.srcObject = null;
    this.mode = mode;
    this.reason = reason;
    this.render();
  }

  resetFigures() {
    this.latencies = [];
    this.framesShown = this.framesUnreadable = this.framesSkipped = 0;
    this.lastId = null;
    this.kbitS = null;
    this.bytesBefore = null;
  }

  // Every frame the page shows: read its stamp, note its latency.
  watchFrames() {
    const video = this.video;
    if (!("requestVideoFrameCallback" in HTMLVideoElement.prototype)) return;
    const onFrame = (now, meta) => {
      if (!this.pc || this.video !== video || this.mode !== "webrtc") return;
      this.measure(meta);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }

  measure(meta) {
    const width = this.video.videoWidth;
    const height = this.video.videoHeight;
    if (!width || !height) return;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.ctx.drawImage(this.video, 0, 0, width, height);
    const stamp = readStamp(this.ctx.getImageData(0, 0, width, height).data, width, height);
    this.framesShown += 1;
    if (!stamp) {
      this.framesUnreadable += 1;
      return;
    }
    if (this.lastId != null) this.framesSkipped += Math.max(0, ((stamp.id - this.lastId + 65536) % 65536) - 1);
    this.lastId = stamp.id;
    const offset = this.clock.offsetMs;
    if (offset == null) return;
    const shown = performance.timeOrigin + (meta.expectedDisplayTime ?? performance.now()) + offset;
    // Modulo 65536 ms; a small negative value is the clock estimate's error, kept as such.
    const wrapped = (Math.round(shown) - stamp.timeMs + 65536 * 4) % 65536;
    this.latencies.push(wrapped > 32768 ? wrapped - 65536 : wrapped);
    if (this.latencies.length > WINDOW) this.latencies.shift();
  }

  async readStats() {
    const pc = this.pc;
    if (!pc) return;
    const stats = await pc.getStats();
    let bytes = 0;
    let codecId = null;
    stats.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") {
        bytes += s.bytesReceived || 0;
        codecId = s.codecId;
      }
    });
    const codec = codecId && stats.get(codecId);
    if (codec && codec.mimeType) this.codec = codec.mimeType.replace(/^video\//, "");
    const now = performance.now();
    if (this.bytesBefore) this.kbitS = ((bytes - this.bytesBefore.bytes) * 8) / (now - this.bytesBefore.at);
    this.bytesBefore = { bytes, at: now };
    this.render();
  }

  figures() {
    return {
      mode: this.mode,
      codec: this.codec,
      g2gP50: percentile(this.latencies, 50),
      g2gP99: percentile(this.latencies, 99),
      kbitS: this.kbitS,
      framesShown: this.framesShown,
      framesSkipped: this.framesSkipped,
      framesUnreadable: this.framesUnreadable,
    };
  }

  render() {
    const f = this.figures();
    const text = this.stateText;
    this.button.textContent = this.wanted ? "Stop the live video" : "Watch as live video (WebRTC)";
    this.button.disabled = !this.running && !this.wanted;
    this.video.hidden = this.mode !== "webrtc" && this.mode !== "connecting";
    let line;
    if (this.mode === "webrtc") {
      const g2g = f.g2gP50 == null ? "measuring…" : `${f.g2gP50.toFixed(0)} / ${f.g2gP99.toFixed(0)} ms`;
      const rate = f.kbitS == null ? "" : ` · ${f.kbitS.toFixed(0)} kbit/s`;
      line = `Live video: WebRTC ${f.codec} · ${this.select.value} · glass-to-glass p50/p99 ${g2g}${rate}`;
    } else if (this.mode === "connecting") {
      line = "Live video: connecting WebRTC… (JPEG thumbnails meanwhile)";
    } else if (this.mode === "failed") {
      line = `Live video: JPEG thumbnails — WebRTC is off: ${this.reason}`;
    } else {
      line = "Live video: JPEG thumbnails";
    }
    text.textContent = line;
    text.dataset.mode = this.mode;
    for (const [key, value] of Object.entries(f)) text.dataset[key] = value == null ? "" : String(value);
    if (this.healthRow) {
      const value = this.healthRow.querySelector(".v");
      const chip = this.healthRow.querySelector(".chip");
      const live = this.mode === "webrtc" && f.g2gP50 != null;
      value.textContent = live ? `${f.g2gP50.toFixed(0)} / ${f.g2gP99.toFixed(0)} ms` : this.mode === "webrtc" ? "measuring…" : "–";
      const level = !live ? "idle" : f.g2gP99 > 250 ? "slow" : "ok";
      chip.textContent = { ok: "OK", slow: "Slow", idle: "–" }[level];
      chip.className = `chip chip-${level}`;
    }
  }
}

// aiortc takes the whole offer at once (no trickle): wait for the candidates.
function iceGathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", done);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 3000); // use what was gathered
  });
}

function loadWanted() {
  try {
    return localStorage.getItem(STORE) === "on";
  } catch {
    return false;
  }
}

function saveWanted(on) {
  try {
    localStorage.setItem(STORE, on ? "on" : "off");
  } catch {
    // storage disabled: the choice lasts for this page
  }
}
