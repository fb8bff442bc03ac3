// Long operations (replay, merge, compaction) as the server tells every page over the
// websocket ("operation" messages, in order): a panel that starts one watches it and shows
// a progress line until it ends.

import { el } from "./format.js";

export class Operations {
  constructor() {
    this.watches = new Set();
    this.connected = false;
  }

  setConnected(connected) {
    this.connected = connected;
    if (!connected) for (const watch of this.watches) watch.lost();
  }

  message(msg) {
    for (const watch of [...this.watches]) watch.offer(msg);
  }

  // Watch the operation `kind` on `subject` ("ns/name#3" for a replay, the merge's target,
  // the dataset packed): call before asking the server to start it.
  watch(kind, subject, onUpdate) {
    const watch = new Watch(this, kind, subject, onUpdate);
    this.watches.add(watch);
    return watch;
  }
}

class Watch {
  constructor(operations, kind, subject, onUpdate) {
    this.operations = operations;
    this.kind = kind;
    this.subject = subject;
    this.onUpdate = onUpdate;
    // Heard from the start: the server queues the operation's last message before it
    // answers the request, so it is on its way once the answer is here.
    this.heardAll = operations.connected;
    this.ended = new Promise((resolve) => (this.resolve = resolve));
  }

  offer(msg) {
    if (msg.kind !== this.kind || msg.subject !== this.subject) return;
    this.onUpdate(msg);
    if (msg.state !== "running") this.resolve(msg);
  }

  lost() {
    this.heardAll = false;
    this.resolve(null);
  }

  // After the server answered: every progress message comes before the result is shown.
  async settle() {
    if (this.heardAll) await this.ended;
    this.close();
  }

  close() {
    this.operations.watches.delete(this);
    this.resolve(null);
  }
}

// "Replaying episode 3 of ns/name — replaying 120 of 390 frames (30 %)".
export function describeOperation(op) {
  if (op.state === "failed") return `${op.title}: failed — ${op.error}`;
  if (!op.total) return `${op.title} — ${op.step}…`;
  const percent = Math.floor((100 * op.done) / op.total);
  return `${op.title} — ${op.step} ${op.done} of ${op.total} ${op.unit} (${percent} %)`;
}

// A bar and a line of text under a panel's head, for the operation it started.
export class ProgressLine {
  constructor(container) {
    this.fill = el("div", { class: "bar-fill" });
    this.text = el("p", { class: "op-text", role: "status", "aria-live": "polite" });
    this.root = el("div", { class: "op-progress", hidden: true }, el("div", { class: "bar" }, this.fill), this.text);
    container.append(this.root);
  }

  start(text) {
    this.root.hidden = false;
    this.root.dataset.state = "running";
    this.fill.style.width = "0%";
    this.text.textContent = text;
  }

  update(op) {
    this.root.dataset.state = op.state;
    this.fill.style.width = `${op.total ? Math.round((100 * op.done) / op.total) : 0}%`;
    this.text.textContent = describeOperation(op);
  }

  // The operation's outcome in the panel's words; `bad` styles it as an error.
  end(text, bad = false) {
    this.root.dataset.state = bad ? "failed" : "finished";
    if (!bad) this.fill.style.width = "100%";
    this.text.textContent = text;
    this.text.setAttribute("role", bad ? "alert" : "status");
  }

  hide() {
    this.root.hidden = true;
  }
}
