// The first-run guide: what a session is, where datasets go, the ways to drive the arm.
// Shown until the operator hides it; remembered in this browser; "Guide" brings it back.

const DISMISSED_KEY = "leisaac.guide-dismissed";
const $ = (id) => document.getElementById(id);

export class Guide {
  constructor() {
    this.panel = $("guide");
    $("guide-dismiss").addEventListener("click", () => this.hide());
    $("guide-show").addEventListener("click", () => this.show());
    this.panel.hidden = localStorage.getItem(DISMISSED_KEY) === "1";
    this.renderButton();
  }

  // Where this server writes datasets, from /api/options.
  setDatasetRoot(root) {
    if (root) $("guide-root").textContent = `${root}/<namespace>/<name>`;
  }

  hide() {
    localStorage.setItem(DISMISSED_KEY, "1");
    this.panel.hidden = true;
    this.renderButton();
    $("guide-show").focus();
  }

  show() {
    localStorage.removeItem(DISMISSED_KEY);
    this.panel.hidden = false;
    this.renderButton();
    if (location.hash && location.hash !== "#record") location.hash = "#record";
    this.panel.scrollIntoView({ block: "start" });
  }

  renderButton() {
    $("guide-show").setAttribute("aria-expanded", String(!this.panel.hidden));
  }
}
