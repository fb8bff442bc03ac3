// Problem banners: one per problem id, shown while the problem lasts, removed when it ends.
// Nothing the operator must know about is only in a log.

import { el } from "./format.js";

export class Banners {
  constructor(container) {
    this.container = container;
    this.shown = new Map(); // id -> {node, key}
  }

  // level: "warn" | "bad". action: optional {label, run}.
  set(id, level, text, action) {
    const key = `${level}|${text}|${action ? action.label : ""}`;
    const current = this.shown.get(id);
    if (current && current.key === key) return;
    const node = el("div", { class: `banner banner-${level}`, role: "alert", "data-banner": id }, el("span", { text }));
    if (action) {
      const button = el("button", { class: "btn", type: "button", text: action.label });
      button.addEventListener("click", action.run);
      node.append(button);
    }
    if (current) current.node.replaceWith(node);
    else this.container.append(node);
    this.shown.set(id, { node, key });
  }

  clear(id) {
    const current = this.shown.get(id);
    if (current) {
      current.node.remove();
      this.shown.delete(id);
    }
  }

  toggle(id, condition, level, text, action) {
    if (condition) this.set(id, level, text, action);
    else this.clear(id);
  }
}

export function toast(text, kind = "info", ms = 5000) {
  const box = document.getElementById("toasts");
  const node = el("div", { class: `toast toast-${kind}`, role: kind === "bad" ? "alert" : "status", text });
  box.append(node);
  setTimeout(() => node.remove(), ms);
}
