// Joint state bars in the dataset's normalized units (arm -100..100, gripper 0..100).

import { el } from "./format.js";

function rangeOf(name) {
  return /gripper/.test(name) ? [0, 100] : [-100, 100];
}

export class JointBars {
  constructor(container) {
    this.container = container;
    this.names = [];
    this.rows = [];
  }

  build(names) {
    this.names = names;
    this.container.replaceChildren();
    this.rows = names.map((name) => {
      const [lo, hi] = rangeOf(name);
      const zero = ((0 - lo) / (hi - lo)) * 100;
      const fill = el("div", { class: "joint-fill" });
      const value = el("span", { class: "joint-value", text: "–" });
      const track = el("div", { class: "joint-track" }, el("div", { class: "zero", style: `left:${zero}%` }), fill);
      this.container.append(el("span", { class: "joint-name", text: name }), track, value);
      return { fill, value, lo, hi, zero };
    });
  }

  update(names, values) {
    if (!names || !names.length) return;
    if (names.join() !== this.names.join()) this.build(names);
    this.rows.forEach((row, i) => {
      const v = values[i];
      if (v == null) return;
      const pos = Math.min(100, Math.max(0, ((v - row.lo) / (row.hi - row.lo)) * 100));
      const left = Math.min(pos, row.zero);
      row.fill.style.left = `${left}%`;
      row.fill.style.width = `${Math.abs(pos - row.zero)}%`;
      row.value.textContent = v.toFixed(1);
    });
  }
}
