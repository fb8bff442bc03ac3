// The last evaluation's report on the page: its summary and one row per rollout, each linked
// to its episode in the Datasets view (the same links as the report file's `episode_page`).

import { EVENT } from "./events.js";
import { el } from "./format.js";

export class EvaluationReport {
  constructor(root) {
    this.root = root;
  }

  event(ev) {
    if (ev.kind === EVENT.SESSION_STARTING) this.root.hidden = true;
    if (ev.kind === EVENT.EVALUATION_REPORT) this.show(ev.data || {});
  }

  show(report) {
    const $ = (selector) => this.root.querySelector(selector);
    const [low, high] = report.success_rate_wilson_95 || [0, 1];
    const pct = (v) => `${Math.round(v * 100)} %`;
    $(".eval-report-summary").textContent = report.measured
      ? `Success ${report.successes}/${report.measured} (95% Wilson ${pct(low)}–${pct(high)})` +
        (report.errors ? ` · ${report.errors} error(s), not in the rate` : "")
      : "No episode measured the policy";
    $(".eval-report-path").textContent = report.path || "";
    $("tbody").replaceChildren(
      ...(report.per_seed || []).map((o) => {
        const outcome = ["success", "failure", "timeout", "error"].includes(o.outcome) ? o.outcome : "other";
        const link = o.episode_page
          ? el("a", { href: o.episode_page, text: `${o.repo_id} #${o.episode_index}` })
          : el("span", { class: "muted", text: "not saved" });
        return el(
          "tr",
          { "data-seed": String(o.seed) },
          el("td", { class: "mono", text: String(o.seed) }),
          el("td", {}, el("span", { class: `badge badge-${outcome}`, text: o.outcome })),
          el("td", { class: "small", text: o.reason || "" }),
          el("td", {}, link),
        );
      }),
    );
    this.root.hidden = false;
  }
}
