// Leader-arm calibration panel: start on a port, centre every joint, sweep the ranges, save.
// The server runs the procedure (server/routes/leader.py); this page only drives it and
// polls the live positions (~10 Hz) while a step is under way and the panel is open.

import { api } from "./api.js";
import { el } from "./format.js";

// The last port per arm: "leisaac.leader-port" (one arm), "...-port.left", "...-port.right".
const PORT_STORAGE_KEY = "leisaac.leader-port";
const OTHER_SIDE = { left: "right", right: "left" };
// Devices that hold leader arms' ports while a session runs.
const LEADER_DEVICES = new Set(["so101_leader", "bi_so101_leader"]);

function portKey(side) {
  return side ? `${PORT_STORAGE_KEY}.${side}` : PORT_STORAGE_KEY;
}
const POLL_MS = 100;
const MAX_TICK = 4095;
// Joints in the order of the arm (the server sends an object; keep the order stable).
const JOINTS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"];
const FULL_TURN_JOINT = "wrist_roll"; // turns freely: lerobot records it as 0..4095

const $ = (id) => document.getElementById(id);

export class CalibrationPanel {
  constructor() {
    this.panel = $("leader-panel");
    this.step = "idle"; // idle | mid_pose | range | done
    this.busy = false;
    this.blocked = false;
    this.pollTimer = null;
    this.polls = 0; // samples received: lets tests see the polling run and stop
    this.rows = new Map();
    this.side = "";
    this.calibrated = new Set(); // sides of a pair saved in this page: which one is next
    $("leader-port").value = localStorage.getItem(PORT_STORAGE_KEY) || "";
    $("leader-side").addEventListener("change", () => this.chooseSide($("leader-side").value));
    $("leader-arm-id").addEventListener("input", () => this.fileHint());
    $("leader-other").addEventListener("click", () => {
      this.chooseSide(OTHER_SIDE[this.side]);
      this.show("idle");
    });
    $("leader-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.start();
    });
    $("leader-mid").addEventListener("click", () => this.act("mid_pose"));
    $("leader-finish").addEventListener("click", () => this.act("finish"));
    $("leader-cancel").addEventListener("click", () => this.cancel());
    $("leader-again").addEventListener("click", () => this.show("idle"));
    this.panel.addEventListener("toggle", () => {
      if (this.panel.open) this.schedulePoll();
      else this.stopPolling();
    });
    this.buildRows();
    this.show("idle");
  }

  // One arm, or the left or right arm of a pair: each side keeps its own port, and its
  // file is <arm id>_<side>.json, which a leader listed with that arm reads by default.
  chooseSide(side) {
    this.side = side || "";
    $("leader-side").value = this.side;
    $("leader-port").value = localStorage.getItem(portKey(this.side)) || "";
    this.fileHint();
  }

  fileHint() {
    const id = $("leader-arm-id").value.trim() || "leader";
    $("leader-file-hint").textContent = this.side
      ? `Saved as ${id}_${this.side}.json, as lerobot's bimanual leader names each arm's file (--teleop.id=${id}).`
      : "The calibration file name, as lerobot's --teleop.id.";
  }

  // A session that drives a leader arm owns its serial port: calibrating would fight it.
  setSession(phase, device) {
    const blocked = phase !== "idle" && LEADER_DEVICES.has(device);
    if (blocked === this.blocked) return;
    this.blocked = blocked;
    const note = $("leader-blocked");
    note.hidden = !blocked;
    note.textContent = blocked ? "A session is driving the leader arm: stop it before calibrating." : "";
    this.render();
  }

  buildRows() {
    const container = $("leader-joints");
    for (const joint of JOINTS) {
      const range = el("div", { class: "cal-range" });
      const marker = el("div", { class: "cal-marker" });
      const value = el("span", { class: "cal-value mono", text: "–" });
      const track = el("div", { class: "cal-track" }, range, marker);
      const head = el("div", { class: "cal-head" }, el("span", { class: "cal-name", text: joint }), value);
      container.append(el("div", { class: "cal-joint" }, head, track));
      this.rows.set(joint, { range, marker, value, track });
    }
  }

  show(step) {
    this.step = step;
    if (step === "idle" || step === "done") this.stopPolling();
    else this.schedulePoll();
    this.render();
  }

  render() {
    const step = this.step;
    const running = step === "mid_pose" || step === "range";
    $("leader-form").hidden = step !== "idle";
    $("leader-steps").hidden = step === "idle";
    $("leader-start").disabled = this.busy || this.blocked;
    $("leader-mid").hidden = step !== "mid_pose";
    $("leader-finish").hidden = step !== "range";
    $("leader-cancel").hidden = !running;
    $("leader-again").hidden = step !== "done";
    // A pair's first arm saved: the other one is the next thing to do.
    const other = OTHER_SIDE[this.side];
    const next = step === "done" && other && !this.calibrated.has(other);
    $("leader-other").hidden = !next;
    if (next) $("leader-other").textContent = `Calibrate the ${other} arm`;
    for (const button of ["leader-mid", "leader-finish", "leader-cancel"]) $(button).disabled = this.busy;
    $("leader-saved").hidden = step !== "done";
    $("leader-joints").hidden = !running;
    for (const li of this.panel.querySelectorAll(".leader-progress li")) {
      const order = ["mid_pose", "range", "done"];
      const at = order.indexOf(step);
      const mine = order.indexOf(li.dataset.step);
      li.dataset.state = mine < at ? "done" : mine === at ? "current" : "todo";
    }
    this.panel.dataset.step = step;
    $("leader-summary").textContent = this.blocked
      ? "in use"
      : running
        ? "in progress"
        : step === "done"
          ? "saved"
          : "";
  }

  // Problems in red; a "note" is news that needs no fixing.
  showError(message, level = "error") {
    const node = $("leader-error");
    node.textContent = message || "";
    node.hidden = !message;
    node.classList.toggle("note", level === "note");
  }

  async start() {
    if (this.busy || this.blocked) return;
    const port = $("leader-port").value.trim();
    const armId = $("leader-arm-id").value.trim() || "leader";
    if (!port) {
      this.showError("Enter the serial port of the leader arm, e.g. /dev/ttyACM0.");
      $("leader-port").focus();
      return;
    }
    localStorage.setItem(portKey(this.side), port);
    this.showError("");
    this.busy = true;
    this.render();
    try {
      const body = { port, arm_id: armId, ...(this.side ? { arm: this.side } : {}) };
      const sample = await api.post("/api/leader/calibration", body);
      $("leader-path").textContent = sample.path || "";
      this.apply(sample);
    } catch (err) {
      this.showError(err.message);
      // Started before a reload or from another page: pick it up instead of leaving the
      // operator stuck with a procedure nobody can see or cancel.
      if (err.status === 409 && /already in progress/.test(err.message)) await this.resume();
    } finally {
      this.busy = false;
      this.render();
      this.schedulePoll();
    }
  }

  async resume() {
    try {
      this.apply(await api.get("/api/leader/calibration"));
      this.showError("A calibration was already in progress (started before a reload or from another page); it continues here.", "note");
    } catch {
      /* it ended meanwhile: the start error stays shown, Start works again */
    }
  }

  // "Mid pose done" or "Finish": one request, then the server's next step.
  async act(action) {
    if (this.busy) return;
    this.busy = true;
    this.stopPolling();
    this.render();
    this.showError("");
    try {
      const result = await api.post(`/api/leader/calibration/${action}`);
      if (result.path) $("leader-path").textContent = result.path;
      if (result.step === "done" && this.side) this.calibrated.add(this.side);
      this.apply(result);
    } catch (err) {
      // A refused step (a joint not swept, say) leaves the procedure where it was; a bus
      // failure ends it on the server. Ask which, and keep the message that says why.
      this.showError(err.message);
      await this.recheck(err.message);
    } finally {
      this.busy = false;
      this.render();
      this.schedulePoll();
    }
  }

  async recheck(reason) {
    try {
      this.apply(await api.get("/api/leader/calibration"));
    } catch {
      this.showError(`${reason}\nThe calibration was stopped; check the arm and start again.`);
      this.show("idle");
    }
  }

  async cancel() {
    this.stopPolling();
    this.busy = true;
    this.render();
    try {
      await api.del("/api/leader/calibration");
      this.showError("");
    } catch (err) {
      this.showError(err.message);
    } finally {
      this.busy = false;
      this.show("idle");
    }
  }

  apply(sample) {
    $("leader-instruction").textContent = sample.instruction || "";
    this.updateJoints(sample);
    if (sample.step === "cancelled") this.show("idle");
    else this.show(sample.step);
  }

  updateJoints(sample) {
    const positions = sample.positions || {};
    const lows = sample.range_min || {};
    const highs = sample.range_max || {};
    for (const [joint, row] of this.rows) {
      const pos = positions[joint];
      const lo = lows[joint];
      const hi = highs[joint];
      const pct = (v) => `${(Math.min(MAX_TICK, Math.max(0, v)) / MAX_TICK) * 100}%`;
      row.marker.hidden = pos == null;
      if (pos != null) row.marker.style.left = pct(pos);
      const swept = lo != null && hi != null;
      row.range.hidden = !swept;
      if (swept) {
        row.range.style.left = pct(lo);
        row.range.style.width = `${((hi - lo) / MAX_TICK) * 100}%`;
      }
      let text = pos == null ? "–" : String(pos);
      if (swept) text += joint === FULL_TURN_JOINT ? "  ·  full turn" : `  ·  range ${lo}–${hi}`;
      row.value.textContent = text;
      row.track.dataset.position = pos ?? "";
      row.track.dataset.min = lo ?? "";
      row.track.dataset.max = hi ?? "";
    }
  }

  schedulePoll() {
    clearTimeout(this.pollTimer);
    this.pollTimer = null;
    if (!this.panel.open || !(this.step === "mid_pose" || this.step === "range") || this.busy) return;
    this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
  }

  stopPolling() {
    clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  // One request at a time: the next poll is scheduled only after this one answered.
  async poll() {
    this.pollTimer = null;
    const step = this.step;
    try {
      const sample = await api.get("/api/leader/calibration");
      if (this.busy || this.step !== step) return; // a button was pressed meanwhile
      if (!this.panel.open) return; // closed while the request was out: nobody is watching
      this.polls += 1;
      this.apply(sample);
    } catch (err) {
      if (this.busy || this.step !== step) return;
      this.showError(`${err.message}\nThe calibration was stopped; check the arm and start again.`);
      this.show("idle");
    }
  }
}
