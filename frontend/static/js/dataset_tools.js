// Merging datasets and packing a dataset's files, from the Datasets tab, with progress.

import { api } from "./api.js";
import { ProgressLine } from "./operations.js";
import { repoIdProblem } from "./repo_id.js";

const $ = (id) => document.getElementById(id);

export class DatasetTools {
  constructor(browser, operations) {
    this.browser = browser;
    this.operations = operations;
    this.picked = [];
    this.mergeProgress = new ProgressLine($("merge-progress"));
    this.compactProgress = new ProgressLine($("compact-progress"));
    browser.onPicked = (picked) => this.pickedChanged(picked);
    browser.onOpened = () => {
      if (!this.compacting) this.compactProgress.hide();
    };
    $("merge-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.merge();
    });
    $("dataset-compact").addEventListener("click", () => this.compact());
  }

  pickedChanged(picked) {
    this.picked = [...picked];
    const n = this.picked.length;
    $("merge-start").disabled = n < 2 || this.merging;
    $("merge-start").textContent = n >= 2 ? `Merge ${n} datasets` : "Merge";
    $("merge-hint").textContent =
      n >= 2
        ? `In this order: ${this.picked.join(", ")}. The sources stay as they are.`
        : "Tick two or more datasets recorded with the same task settings (fps, robot, cameras).";
  }

  mergeError(message) {
    $("merge-error").textContent = message;
    $("merge-error").hidden = !message;
  }

  async merge() {
    const into = $("merge-into").value.trim();
    const problem = repoIdProblem(into, "Merge into");
    this.mergeError(problem || "");
    if (problem || this.picked.length < 2) return;
    this.merging = true;
    $("merge-start").disabled = true;
    this.mergeProgress.start(`Merging ${this.picked.join(", ")} into ${into}…`);
    const watch = this.operations.watch("merge", into, (op) => this.mergeProgress.update(op));
    try {
      const r = await api.post("/api/datasets/merge", { sources: this.picked, into });
      await watch.settle();
      this.mergeProgress.end(`Merged into ${r.repo_id}: ${r.episodes} episodes, ${r.frames} frames.`);
      await this.browser.refresh();
    } catch (err) {
      watch.close();
      this.mergeProgress.hide();
      this.mergeError(`Merge failed: ${err.message}`);
    } finally {
      this.merging = false;
      this.pickedChanged(this.picked);
    }
  }

  async compact() {
    const repo = this.browser.current?.repo_id;
    if (!repo) return;
    const button = $("dataset-compact");
    button.disabled = true;
    this.compacting = true;
    this.compactProgress.start(`Packing the files of ${repo}…`);
    const watch = this.operations.watch("compaction", repo, (op) => this.compactProgress.update(op));
    try {
      const r = await api.post(`/api/datasets/${repo}/compact`);
      await watch.settle();
      this.compactProgress.end(
        r.episodes_moved
          ? `Packed: ${r.files_before} files → ${r.files_after} (${r.episodes_moved} episodes moved).`
          : "Nothing to pack: the files are already as large as lerobot makes them.",
      );
      await this.browser.refresh();
    } catch (err) {
      watch.close();
      this.compactProgress.end(`Packing failed: ${err.message}`, true);
    } finally {
      this.compacting = false;
      button.disabled = false;
    }
  }
}
