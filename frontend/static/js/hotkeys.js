// Hotkeys operators already know: LeIsaac (B start, N success, R failure) and lerobot
// (right arrow next, left arrow re-record, Esc stop). Off while typing in a form field or
// while a dialog is open, and never with Ctrl/Alt/Meta (browser shortcuts stay intact).

export const HOTKEYS = {
  b: "start",
  n: "success",
  r: "failure",
  ArrowRight: "next",
  ArrowLeft: "rerecord",
  Escape: "stop",
  y: "keep", // review before keeping
  x: "discard",
};

export function isTyping(target) {
  if (!target || !(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target.closest("dialog[open]")) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (target.getAttribute("type") || "text").toLowerCase();
    return !["checkbox", "radio", "button", "submit", "reset", "range"].includes(type);
  }
  return false;
}

export function actionFor(event) {
  if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return null;
  if (isTyping(event.target)) return null;
  if (document.querySelector("dialog[open]")) return null;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  return HOTKEYS[key] || null;
}

export function installHotkeys(run) {
  document.addEventListener("keydown", (event) => {
    const action = actionFor(event);
    if (!action) return;
    event.preventDefault();
    run(action);
  });
}

// A browser hands keys (and a foot pedal's, which types keys) only to the focused page: say
// so while it is not focused.
export function installFocusNote(note) {
  const render = () => {
    const focused = document.hasFocus();
    note.dataset.focus = String(focused);
    note.textContent = focused
      ? "Keys reach this page only while it has focus (a foot pedal's too)."
      : "This page does not have keyboard focus: hotkeys, driving keys and a foot pedal go elsewhere. Click the page to use them.";
  };
  window.addEventListener("focus", render);
  window.addEventListener("blur", render);
  render();
}
