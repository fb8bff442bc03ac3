// OK / Slow / Stalled for each figure the operator watches. Pure functions over the
// snapshot, the machine figures and the live view, so they are easy to reason about.

export const ACTIVE_PHASES = new Set(["warmup", "recording", "success_tail", "resetting"]);
export const EPISODE_PHASES = new Set(["warmup", "recording", "success_tail"]);

// Thresholds, chosen for a 30 fps loop; all relative to the target where possible.
const RATE_SLOW = 0.95; // achieved / target below this: slow
const RATE_STALLED = 0.5;
const BACKLOG_SLOW = 10; // frames queued per camera encoder
const BACKLOG_STALLED = 60;
const CPU_SLOW = 90;
export const DISK_LOW_BYTES = 2 * 1024 ** 3;
export const DISK_LOW_PERCENT = 5;

// The writer's status shape belongs to the dataset writer; rather than hard-code it, sum
// every numeric field whose name mentions backlog / dropped, per camera where nested.
export function recorderFigures(recorder) {
  let backlog = 0;
  let dropped = 0;
  const walk = (value, key) => {
    if (typeof value === "number") {
      if (/backlog/i.test(key)) backlog = Math.max(backlog, value);
      else if (/dropped/i.test(key)) dropped += value;
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, Array.isArray(value) ? key : k);
    }
  };
  walk(recorder || {}, "");
  return { backlog, dropped };
}

// No period measured yet (the first tick after a start or a reset): nothing to grade, and
// not a stall (a 0.0 fps figure here would raise the stalled banner at every start).
const MEASURING = { level: "idle", text: "measuring…" };

export function classifyLoop(timing, phase, tickFrozen) {
  if (!ACTIVE_PHASES.has(phase) || !timing) return { level: "idle", text: "–" };
  if (!timing.period_p50_ms && !tickFrozen) return MEASURING;
  const text = `${timing.achieved_fps.toFixed(1)} / ${timing.target_fps} fps`;
  if (tickFrozen) return { level: "stalled", text };
  const ratio = timing.target_fps > 0 ? timing.achieved_fps / timing.target_fps : 1;
  // A scripted session runs unpaced (faster than target): that is fine.
  if (ratio < RATE_STALLED) return { level: "stalled", text };
  if (ratio < RATE_SLOW) return { level: "slow", text };
  return { level: "ok", text };
}

export function classifyJitter(timing, phase) {
  if (!ACTIVE_PHASES.has(phase) || !timing) return { level: "idle", text: "–" };
  if (!timing.period_p50_ms) return MEASURING;
  const period = 1000 / (timing.target_fps || 30);
  const text = `${timing.jitter_ms.toFixed(1)} / ${timing.period_p99_ms.toFixed(1)} ms`;
  if (timing.period_p99_ms > 3 * period) return { level: "stalled", text };
  if (timing.period_p99_ms > 1.5 * period || timing.jitter_ms > 0.25 * period) return { level: "slow", text };
  return { level: "ok", text };
}

export function classifyOverruns(timing, phase) {
  if (!ACTIVE_PHASES.has(phase) || !timing) return { level: "idle", text: "–" };
  return { level: timing.overruns > 0 ? "slow" : "ok", text: String(timing.overruns) };
}

export function classifyEncoder(figures, phase) {
  if (!ACTIVE_PHASES.has(phase)) return { level: "idle", text: "–" };
  const text = `${figures.backlog} queued`;
  if (figures.backlog >= BACKLOG_STALLED) return { level: "stalled", text };
  if (figures.backlog >= BACKLOG_SLOW) return { level: "slow", text };
  return { level: "ok", text };
}

export function classifyDropped(figures, phase) {
  if (!ACTIVE_PHASES.has(phase)) return { level: "idle", text: "–" };
  return { level: figures.dropped > 0 ? "slow" : "ok", text: String(figures.dropped) };
}

export function classifyPreview(view, phase, connected) {
  if (!connected) return { level: "stalled", text: "offline" };
  if (!ACTIVE_PHASES.has(phase)) return { level: "idle", text: "–" };
  const text = `${view.minRate.toFixed(0)} fps`;
  if (view.cameras === 0 || view.stalled) return { level: "stalled", text };
  if (view.minRate < 5) return { level: "slow", text };
  return { level: "ok", text };
}

export function classifyDevice(health, phase) {
  if (phase === "idle" || !health || health.connected === undefined) return { level: "idle", text: "–" };
  if (!health.connected) return { level: "stalled", text: health.message || "disconnected" };
  return { level: (health.errors || 0) > 0 ? "slow" : "ok", text: health.message || "connected" };
}

// The policy device's figures (device_health.details): round trip and starved ticks.
export function classifyPolicy(health, phase) {
  const d = (health && health.details) || {};
  if (!ACTIVE_PHASES.has(phase) || d.rtt_ms_p50 == null) return { level: "idle", text: "–" };
  const text = `${d.rtt_ms_p50.toFixed(1)} / ${d.rtt_ms_p99.toFixed(1)} ms · ${d.starved_ticks}`;
  return { level: d.starved_ticks > 0 ? "slow" : "ok", text };
}

// Input that crossed a network (a remote leader's samples, a browser's keys): how old it is
// when a tick uses it (p50 / p99) and its one-way latency, in the server's clock.
export function classifyInput(health, phase, fps) {
  const d = (health && health.details) || {};
  if (!ACTIVE_PHASES.has(phase) || d.input_age_ms_p50 == null) return { level: "idle", text: "–" };
  const latency = d.input_latency_ms_p50 == null ? "" : ` · ${d.input_latency_ms_p50.toFixed(0)} ms`;
  const text = `${d.input_age_ms_p50.toFixed(0)} / ${d.input_age_ms_p99.toFixed(0)} ms${latency}`;
  const tick = 1000 / (fps || 30);
  if (d.input_age_ms_p50 > 4 * tick) return { level: "stalled", text };
  return { level: d.input_age_ms_p99 > 2 * tick ? "slow" : "ok", text };
}

export function classifyCpu(system) {
  if (!system || system.cpu_percent == null) return { level: "idle", text: "–" };
  const text = `${system.cpu_percent.toFixed(0)} % / ${(system.memory_percent ?? 0).toFixed(0)} %`;
  return { level: system.cpu_percent >= CPU_SLOW ? "slow" : "ok", text };
}

export function diskLow(system) {
  if (!system || system.disk_free_bytes == null) return false;
  return system.disk_free_bytes < DISK_LOW_BYTES || (system.disk_free_percent ?? 100) < DISK_LOW_PERCENT;
}

export const LEVEL_LABEL = { ok: "OK", slow: "Slow", stalled: "Stalled", idle: "–" };
