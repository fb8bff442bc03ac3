// Renders the live state: phase, episode N of M, timers, the success light, counts,
// health table and the problem banners derived from them.

import { EVENT } from "./events.js";
import { bytes, number, seconds } from "./format.js";
import {
  ACTIVE_PHASES,
  EPISODE_PHASES,
  LEVEL_LABEL,
  classifyCpu,
  classifyDevice,
  classifyInput,
  classifyDropped,
  classifyEncoder,
  classifyJitter,
  classifyLoop,
  classifyOverruns,
  classifyPolicy,
  classifyPreview,
  diskLow,
  recorderFigures,
} from "./health.js";

const PHASE_LABEL = {
  idle: "IDLE",
  starting: "STARTING",
  warmup: "WARM-UP",
  recording: "RECORDING",
  success_tail: "SUCCESS",
  resetting: "RESETTING",
  reviewing: "REVIEWING",
  error: "ERROR",
};
// The loop publishes every tick; a tick counter that stops moving this long is a stall.
const FROZEN_AFTER_MS = 1500;
const SUCCESS_LATCH_MS = 2500;

const $ = (id) => document.getElementById(id);

export class LiveView {
  constructor({ banners, cameras, joints, controls }) {
    this.banners = banners;
    this.cameras = cameras;
    this.joints = joints;
    this.controls = controls;
    this.snapshot = { phase: "idle" };
    this.system = {};
    this.connected = false;
    this.updates = 0; // snapshots received: lets tests see the stream flow
    this.successUntil = 0;
    this.successEpisode = 0;
    this.lastTick = -1;
    this.tickChangedAt = performance.now();
    this.healthRows = Object.fromEntries(
      [...document.querySelectorAll("#health tr[data-key]")].map((tr) => [
        tr.dataset.key,
        { value: tr.querySelector(".v"), chip: tr.querySelector(".chip") },
      ]),
    );
  }

  get phase() {
    return this.snapshot.phase || "idle";
  }

  setSnapshot(snapshot, system) {
    this.snapshot = snapshot;
    this.updates += 1;
    if (system) this.system = system;
    if (snapshot.tick !== this.lastTick) {
      this.lastTick = snapshot.tick;
      this.tickChangedAt = performance.now();
    }
    this.render();
  }

  // Success may hold for a single 30 Hz tick, shorter than the 10 Hz status period; the
  // success events latch the light so the operator always sees it.
  event(ev) {
    if (ev.kind === EVENT.SUCCESS_DETECTED || ev.kind === EVENT.EPISODE_SUCCEEDED) {
      this.successUntil = performance.now() + SUCCESS_LATCH_MS;
      this.successEpisode = ev.data?.episode_number ?? this.snapshot.episode_number;
      this.render();
    } else if (ev.kind === EVENT.SESSION_STARTING) {
      this.successUntil = 0;
      this.render();
    }
  }

  setConnected(connected) {
    this.connected = connected;
    this.renderHealth();
  }

  render() {
    const s = this.snapshot;
    const phase = this.phase;
    const phaseNode = $("phase");
    phaseNode.textContent = PHASE_LABEL[phase] || phase.toUpperCase();
    phaseNode.className = `phase phase-${phase}`;
    phaseNode.dataset.phase = phase;
    document.body.dataset.phase = phase;

    const running = phase !== "idle";
    $("episode").textContent = !running
      ? "No session"
      : phase === "reviewing"
        ? `${s.episodes_target} of ${s.episodes_target} recorded: review the last`
        : `Episode ${s.episode_number} of ${s.episodes_target}`;
    $("task-text").textContent = running ? `${s.task_text || s.task || ""} → ${s.repo_id || ""}` : "";

    // Between episodes (reset, review) the rule on the scene is not an episode's success.
    const between = phase === "resetting" || phase === "reviewing";
    const live = (Boolean(s.success) && !between) || phase === "success_tail";
    const latched = performance.now() < this.successUntil;
    const light = $("success");
    light.dataset.on = String(live || latched);
    $("success-label").textContent = live
      ? "Success"
      : latched
        ? `Success · ep ${this.successEpisode}`
        : running && !between
          ? "not yet"
          : "–";

    // Between episodes the last attempt's time is history: only the reset countdown counts.
    const timing = running && !between;
    const limit = s.episode_time_limit_s || 0;
    const t = s.episode_time_s || 0;
    $("episode-timer").textContent = timing ? `${seconds(t)} / ${seconds(limit, 0)}` : "–";
    const bar = $("episode-bar");
    const fraction = limit > 0 ? Math.min(1, t / limit) : 0;
    bar.style.width = `${(timing ? fraction : 0) * 100}%`;
    bar.classList.toggle("late", fraction > 0.8);

    $("reset-row").hidden = phase !== "resetting";
    $("reset-countdown").textContent = seconds(s.reset_time_left_s);

    // Idle after a session, its figures stay: say they are the last session's.
    const last = !running && Boolean(s.repo_id);
    $("last-session").hidden = !last;
    $("last-session").textContent = last ? `Last session · ${s.repo_id}` : "";
    $("count-saved").textContent = s.episodes_saved ?? 0;
    $("count-failed").textContent = s.episodes_failed ?? 0;
    const errors = s.episodes_errored ?? 0;
    $("count-errors-item").hidden = !errors;
    $("count-errors").textContent = errors;
    $("count-frames").textContent = s.frames_saved ?? 0;
    // Evaluation mode: the success rate over the measured episodes so far; episodes that
    // ended by an error measured nothing and are counted apart (Errors).
    const evaluation = s.evaluation || {};
    $("eval-rate").hidden = !evaluation.episodes;
    if (evaluation.episodes) {
      const [low, high] = evaluation.success_rate_wilson_95;
      $("eval-rate-value").textContent = evaluation.measured
        ? `${evaluation.successes}/${evaluation.measured} (95% ${Math.round(low * 100)}–${Math.round(high * 100)} %)`
        : "none measured";
    }
    const message = $("session-message");
    message.textContent = s.message || "";
    message.classList.toggle("bad", phase === "error" || errors > 0);

    // Idle: the start form takes the controls' place; running: the controls are there.
    $("start-panel").hidden = running;
    $("controls").hidden = !running;
    this.controls.update(phase);
    if (s.cameras && s.cameras.length) this.cameras.setCameras(s.cameras);
    this.joints.update(s.joint_names, s.joint_state);
    this.renderHealth();
  }

  renderHealth() {
    const s = this.snapshot;
    const phase = this.phase;
    const frozen = ACTIVE_PHASES.has(phase) && performance.now() - this.tickChangedAt > FROZEN_AFTER_MS;
    const rec = recorderFigures(s.recorder);
    const view = this.cameras.figures();
    const cells = {
      loop: classifyLoop(s.timing, phase, frozen || !this.connected),
      jitter: classifyJitter(s.timing, phase),
      overruns: classifyOverruns(s.timing, phase),
      encoder: classifyEncoder(rec, phase),
      dropped: classifyDropped(rec, phase),
      preview: classifyPreview(view, phase, this.connected),
      device: classifyDevice(s.device_health, phase),
      policy: classifyPolicy(s.device_health, phase),
      input: classifyInput(s.device_health, phase, s.timing && s.timing.target_fps),
      cpu: classifyCpu(this.system),
      disk: {
        level: this.system.disk_free_bytes == null ? "idle" : diskLow(this.system) ? "stalled" : "ok",
        text:
          this.system.disk_free_bytes == null
            ? "–"
            : `${bytes(this.system.disk_free_bytes)} (${number(this.system.disk_free_percent, 0)} %)`,
      },
    };
    // Offline, the machine figures are only the last known ones: show them, grade nothing.
    if (!this.connected) cells.cpu.level = cells.disk.level = "idle";
    for (const [key, cell] of Object.entries(cells)) {
      const row = this.healthRows[key];
      if (!row) continue;
      row.value.textContent = cell.text;
      row.value.title = cell.text; // a long device message is cut short in the cell
      row.chip.textContent = LEVEL_LABEL[cell.level];
      row.chip.className = `chip chip-${cell.level}`;
    }
    this.cameras.refresh(ACTIVE_PHASES.has(phase) && this.connected);
    this.renderBanners(cells, rec);
  }

  renderBanners(cells, rec) {
    const s = this.snapshot;
    const phase = this.phase;
    const b = this.banners;
    b.toggle(
      "session-error",
      phase === "error",
      "bad",
      `Session error: ${s.message || "see the events"} — press Recover to reset the scene, or Stop.`,
      { label: "Recover", run: () => this.controls.send("reset") },
    );
    const health = s.device_health || {};
    b.toggle(
      "device",
      phase !== "idle" && health.connected === false && !s.paused,
      "bad",
      `Teleop device ${s.device || ""} is disconnected: ${health.message || "check the cable / port"}. The episode is paused.`,
    );
    b.toggle(
      "paused",
      EPISODE_PHASES.has(phase) && Boolean(s.paused),
      "warn",
      `Episode paused, the arm holds: ${s.paused}. It resumes by itself when input comes back.`,
    );
    b.toggle(
      "encoder",
      ACTIVE_PHASES.has(phase) && (rec.dropped > 0 || cells.encoder.level !== "ok"),
      cells.encoder.level === "stalled" ? "bad" : "warn",
      `Video encoder is behind: ${rec.backlog} frame(s) queued, ${rec.dropped} dropped this session. ` +
        "Lower the camera size or fps, or close other programs.",
    );
    // Said as soon as the ticks' own work nearly fills the period (the server measures it),
    // before the recorded timing shows it.
    b.toggle("loop-load", phase !== "idle" && Boolean(s.loop_advice), "warn", s.loop_advice || "");
    b.toggle(
      "loop",
      ACTIVE_PHASES.has(phase) && this.connected && cells.loop.level === "stalled",
      "bad",
      `The control loop is stalled (${cells.loop.text}). Recorded timing will show it.`,
    );
    b.toggle(
      "disk",
      diskLow(this.system),
      "bad",
      `Disk nearly full: ${bytes(this.system.disk_free_bytes)} free at the dataset folder. Free space before recording more.`,
    );
  }
}
