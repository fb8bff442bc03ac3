// Joint trajectories of one episode on a canvas: state solid, action dashed, one colour
// per joint, fixed normalized y range so episodes are comparable at a glance.

export const JOINT_COLOURS = ["#3e8ef7", "#2fbf71", "#f0b429", "#e5484d", "#b36bf2", "#35c7c7", "#f28d49"];

export class TrajectoryPlot {
  constructor(canvas, legend) {
    this.canvas = canvas;
    this.legend = legend;
    this.signals = null;
    this.cursor = null;
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  set(signals) {
    this.signals = signals;
    this.cursor = null;
    this.legend.replaceChildren();
    (signals.names || signals.state_names || []).forEach((name, i) => {
      const item = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = JOINT_COLOURS[i % JOINT_COLOURS.length];
      item.append(swatch, name);
      this.legend.append(item);
    });
    const note = document.createElement("span");
    note.textContent = "solid: state · dashed: action";
    this.legend.append(note);
    this.draw();
  }

  setCursor(t) {
    this.cursor = t;
    this.draw();
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    const s = this.signals;
    if (!s || !s.timestamps || s.timestamps.length < 2) return;
    const pad = { l: 40 * ratio, r: 10 * ratio, t: 10 * ratio, b: 22 * ratio };
    const t0 = s.timestamps[0];
    const t1 = s.timestamps[s.timestamps.length - 1];
    const all = [...(s.state || []).flat(), ...(s.action || []).flat()].filter(Number.isFinite);
    let lo = Math.min(-100, ...all);
    let hi = Math.max(100, ...all);
    if (hi - lo < 1e-6) hi = lo + 1;
    const x = (t) => pad.l + ((t - t0) / (t1 - t0 || 1)) * (width - pad.l - pad.r);
    const y = (v) => pad.t + (1 - (v - lo) / (hi - lo)) * (height - pad.t - pad.b);

    const style = getComputedStyle(document.documentElement);
    const grid = style.getPropertyValue("--line").trim() || "#2a313b";
    const muted = style.getPropertyValue("--muted").trim() || "#8f99a8";
    ctx.font = `${11 * ratio}px system-ui, sans-serif`;
    ctx.fillStyle = muted;
    ctx.strokeStyle = grid;
    ctx.lineWidth = 1 * ratio;
    for (const v of [-100, -50, 0, 50, 100]) {
      if (v < lo || v > hi) continue;
      ctx.beginPath();
      ctx.moveTo(pad.l, y(v));
      ctx.lineTo(width - pad.r, y(v));
      ctx.stroke();
      ctx.fillText(String(v), 4 * ratio, y(v) + 4 * ratio);
    }
    const step = Math.max(1, Math.ceil((t1 - t0) / 8));
    for (let t = 0; t <= t1 - t0 + 1e-9; t += step) {
      ctx.fillText(`${t}s`, x(t0 + t) - 6 * ratio, height - 6 * ratio);
    }

    const series = (rows, dashed) => {
      if (!rows || !rows.length) return;
      const joints = rows[0].length;
      for (let j = 0; j < joints; j += 1) {
        ctx.strokeStyle = JOINT_COLOURS[j % JOINT_COLOURS.length];
        ctx.lineWidth = (dashed ? 1 : 2) * ratio;
        ctx.setLineDash(dashed ? [4 * ratio, 3 * ratio] : []);
        ctx.globalAlpha = dashed ? 0.7 : 1;
        ctx.beginPath();
        rows.forEach((row, i) => {
          const px = x(s.timestamps[i]);
          const py = y(row[j]);
          if (i === 0) ctx.moveTo(px, py);
          else ctx.lineTo(px, py);
        });
        ctx.stroke();
      }
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
    };
    series(s.action, true);
    series(s.state, false);

    if (this.cursor != null) {
      ctx.strokeStyle = style.getPropertyValue("--text").trim() || "#fff";
      ctx.lineWidth = 1.5 * ratio;
      ctx.beginPath();
      ctx.moveTo(x(t0 + this.cursor), pad.t);
      ctx.lineTo(x(t0 + this.cursor), height - pad.b);
      ctx.stroke();
    }
  }
}
