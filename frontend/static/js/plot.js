// Joint trajectories of one episode on a canvas: state solid, action dashed, one colour
// per joint, fixed normalized y range so episodes are comparable at a glance. Two-arm
// episodes (lerobot's left_*/right_* names) get a panel per arm, the same colour for the
// same joint of either arm.

export const JOINT_COLOURS = ["#3e8ef7", "#2fbf71", "#f0b429", "#e5484d", "#b36bf2", "#35c7c7", "#f28d49"];

const ARM_PREFIX = /^(left|right)_/;

// [{arm, columns: [index in the row], names: [joint name without the arm's prefix]}]: one
// group per arm prefix, in order of appearance; one unnamed group for a one-arm episode.
export function armGroups(names) {
  const groups = [];
  names.forEach((name, i) => {
    const match = name.match(ARM_PREFIX);
    const arm = match ? match[1] : "";
    let group = groups.find((g) => g.arm === arm);
    if (!group) {
      group = { arm, columns: [], names: [] };
      groups.push(group);
    }
    group.columns.push(i);
    group.names.push(match ? name.slice(match[0].length) : name);
  });
  return groups.length ? groups : [{ arm: "", columns: [], names: [] }];
}

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
    this.groups = armGroups(signals.names || signals.state_names || []);
    // A panel per arm: the canvas grows with the arms so each keeps a readable height.
    this.canvas.style.height = this.groups.length > 1 ? `${8 + 8 * this.groups.length}rem` : "";
    this.groups[0].names.forEach((name, i) => {
      const item = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = JOINT_COLOURS[i % JOINT_COLOURS.length];
      item.append(swatch, name);
      this.legend.append(item);
    });
    const note = document.createElement("span");
    const arms = this.groups.length > 1 ? ` · panels: ${this.groups.map((g) => g.arm).join(", ")} arm` : "";
    note.textContent = `solid: state · dashed: action${arms}`;
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
    const groups = this.groups && this.groups.length ? this.groups : armGroups([]);
    const pad = { l: 40 * ratio, r: 10 * ratio, t: 10 * ratio, b: 22 * ratio };
    const t0 = s.timestamps[0];
    const t1 = s.timestamps[s.timestamps.length - 1];
    const all = [...(s.state || []).flat(), ...(s.action || []).flat()].filter(Number.isFinite);
    let lo = Math.min(-100, ...all);
    let hi = Math.max(100, ...all);
    if (hi - lo < 1e-6) hi = lo + 1;
    const x = (t) => pad.l + ((t - t0) / (t1 - t0 || 1)) * (width - pad.l - pad.r);
    const gap = 14 * ratio;
    const panel = (height - pad.t - pad.b - gap * (groups.length - 1)) / groups.length;

    const style = getComputedStyle(document.documentElement);
    const grid = style.getPropertyValue("--line").trim() || "#2a313b";
    const muted = style.getPropertyValue("--muted").trim() || "#8f99a8";
    ctx.font = `${11 * ratio}px system-ui, sans-serif`;
    const step = Math.max(1, Math.ceil((t1 - t0) / 8));
    ctx.fillStyle = muted;
    for (let t = 0; t <= t1 - t0 + 1e-9; t += step) {
      ctx.fillText(`${t}s`, x(t0 + t) - 6 * ratio, height - 6 * ratio);
    }

    groups.forEach((group, g) => {
      const top = pad.t + g * (panel + gap);
      const y = (v) => top + (1 - (v - lo) / (hi - lo)) * panel;
      ctx.fillStyle = muted;
      ctx.strokeStyle = grid;
      ctx.lineWidth = 1 * ratio;
      for (const v of [-100, -50, 0, 50, 100]) {
        if (v < lo || v > hi) continue;
        ctx.beginPath();
        ctx.moveTo(pad.l, y(v));
        ctx.lineTo(width - pad.r, y(v));
        ctx.stroke();
        if (groups.length === 1 || v % 100 === 0) ctx.fillText(String(v), 4 * ratio, y(v) + 4 * ratio);
      }
      if (group.arm) ctx.fillText(`${group.arm} arm`, pad.l + 4 * ratio, top + 11 * ratio);

      const series = (rows, dashed) => {
        if (!rows || !rows.length) return;
        const columns = group.columns.length ? group.columns : rows[0].map((_, j) => j);
        columns.forEach((column, j) => {
          ctx.strokeStyle = JOINT_COLOURS[j % JOINT_COLOURS.length];
          ctx.lineWidth = (dashed ? 1 : 2) * ratio;
          ctx.setLineDash(dashed ? [4 * ratio, 3 * ratio] : []);
          ctx.globalAlpha = dashed ? 0.7 : 1;
          ctx.beginPath();
          rows.forEach((row, i) => {
            const px = x(s.timestamps[i]);
            const py = y(row[column]);
            if (i === 0) ctx.moveTo(px, py);
            else ctx.lineTo(px, py);
          });
          ctx.stroke();
        });
        ctx.setLineDash([]);
        ctx.globalAlpha = 1;
      };
      series(s.action, true);
      series(s.state, false);
    });

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
