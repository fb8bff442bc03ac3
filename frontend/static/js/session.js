// The start form and the session controls (buttons and hotkeys share one code path).

import { api, describeDetail } from "./api.js";
import { toast } from "./banners.js";
import { el } from "./format.js";
import { EPISODE_PHASES } from "./health.js";
import { repoIdProblem } from "./repo_id.js";

const FORM_STORAGE_KEY = "leisaac.start-form";

export class StartForm {
  constructor(form, onStarted) {
    this.form = form;
    this.onStarted = onStarted;
    this.error = form.querySelector("#start-error");
    this.tasks = [];
    this.busy = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    form.querySelector("#f-task").addEventListener("change", () => this.taskChanged());
    form.querySelector("#f-device").addEventListener("change", () => this.deviceChanged());
    form.querySelector("#f-takeover").addEventListener("change", () => this.deviceChanged());
    form.addEventListener("change", () => this.remember());
    form.addEventListener("input", () => this.cameraChanged());
    form.querySelector("#f-repo").addEventListener("input", () => this.repoChanged());
    this.renderCost = null;
    this.datasetRoot = null;
  }

  async load() {
    const options = await api.get("/api/options");
    this.tasks = options.tasks;
    const fill = (id, values, label = (v) => v) => {
      const select = this.form.querySelector(id);
      select.replaceChildren(...values.map((v) => el("option", { value: v.name ?? v, text: label(v) })));
    };
    fill("#f-task", options.tasks, (t) => t.name);
    fill("#f-backend", options.backends);
    fill("#f-device", options.devices);
    const d = options.defaults || {};
    this.setValue("env.task", d.task);
    this.setValue("env.type", d.backend);
    this.setValue("device", d.device);
    this.setValue("env.fps", d.fps);
    this.setValue("env.camera_width", d.camera_width);
    this.setValue("env.camera_height", d.camera_height);
    this.restore();
    this.renderCost = options.render_cost || null;
    this.datasetRoot = options.dataset_root || null;
    this.repoChanged();
    this.taskChanged();
    this.deviceChanged();
    this.cameraChanged();
    return options;
  }

  // What `leisaac-dashboard doctor` measured here: the largest camera size whose tick takes at
  // most half the period at the form's fps, and a one-click switch when the form asks for more.
  // A two-arm task (three cameras) has figures of its own; without them, no hint.
  cameraChanged() {
    const hint = this.form.querySelector("#camera-hint");
    const f = this.form.elements;
    const width = parseInt(f["env.camera_width"].value, 10);
    const height = parseInt(f["env.camera_height"].value, 10);
    const fps = parseInt(f["env.fps"].value, 10) || 30;
    const cost = this.renderCost;
    const twoArms = this.taskArms().length > 1;
    const sizes = cost ? (twoArms ? cost.two_arm_sizes || [] : cost.sizes) : [];
    if (!sizes.length || f["env.type"].value !== "mujoco" || !(width > 0 && height > 0)) {
      hint.hidden = true;
      return;
    }
    const budget = (cost.headroom * 1000) / fps;
    const holding = sizes.filter((s) => s.tick_ms <= budget);
    const best = holding.reduce((a, s) => (!a || s.width * s.height > a.width * a.height ? s : a), null);
    const same = sizes.find((s) => s.width === width && s.height === height);
    const fits = best && width * height <= best.width * best.height;
    const figure = same ? ` (${same.tick_ms.toFixed(1)} ms a tick)` : "";
    const cams = twoArms ? `Three cameras of ${width}x${height}` : `Cameras ${width}x${height}`;
    if (fits) {
      hint.replaceChildren(`${cams} hold ${fps} fps on this machine${figure}.`);
    } else {
      const text = best
        ? `${cams}${figure} will not hold ${fps} fps on this machine; ${best.width}x${best.height} is the largest that does. `
        : `No measured camera size holds ${fps} fps on this machine; lower the fps. `;
      const children = [text];
      if (best) {
        const use = el("button", { type: "button", class: "btn btn-ghost btn-inline", id: "use-suggested-size" });
        use.textContent = `Use ${best.width}x${best.height}`;
        use.addEventListener("click", () => {
          this.setValue("env.camera_width", best.width);
          this.setValue("env.camera_height", best.height);
          this.remember();
          this.cameraChanged();
        });
        children.push(use);
      }
      hint.replaceChildren(...children);
    }
    hint.classList.toggle("warn", !fits);
    hint.hidden = false;
  }

  // Where the dataset will be written, as the operator types its id.
  repoChanged() {
    const hint = this.form.querySelector("#repo-hint");
    const id = this.form.elements["dataset.repo_id"].value.trim();
    const shown = id && !repoIdProblem(id) ? id : "<namespace>/<name>";
    hint.textContent = this.datasetRoot
      ? `Saved on the server in ${shortPath(this.datasetRoot)}/${shown}`
      : "Names the dataset here and on the Hugging Face Hub.";
    hint.title = this.datasetRoot ? `${this.datasetRoot}/${shown}` : "";
  }

  setValue(name, value) {
    const field = this.form.elements.namedItem(name);
    if (!field || value == null) return;
    if (field.type === "checkbox") field.checked = Boolean(value);
    else if (field.tagName === "SELECT" && ![...field.options].some((o) => o.value === String(value))) return;
    else field.value = value;
  }

  // The selected task's arms (["left", "right"] for a two-arm task, [] for one arm).
  taskArms() {
    const task = this.tasks.find((t) => t.name === this.form.elements["env.task"].value);
    return task?.arms || [];
  }

  taskChanged() {
    this.deviceChanged();
    if (this.renderCost) this.cameraChanged();
    const task = this.tasks.find((t) => t.name === this.form.elements["env.task"].value);
    const input = this.form.querySelector("#f-episode-time");
    input.placeholder = task ? `task default: ${task.episode_time_s} s` : "task default";
    this.form.querySelector("#task-hint").textContent = task ? task.text : "";
  }

  // The person's device: the one that drives, or with a policy the one that takes over.
  humanDevice() {
    const f = this.form.elements;
    return f.device.value === "policy" ? f.takeover.value : f.device.value;
  }

  deviceChanged() {
    const policy = this.form.elements.device.value === "policy";
    for (const id of ["#policy-label", "#checkpoint-label", "#policy-python-label"]) {
      this.form.querySelector(id).hidden = !policy;
    }
    this.form.querySelector("#takeover-label").hidden = !policy;
    // A device option shows for the device types its label names (data-devices), and for
    // the task's number of arms where it says (data-arms: a port per leader arm).
    const type = this.humanDevice();
    const arms = String(Math.max(1, this.taskArms().length));
    for (const label of this.form.querySelectorAll("[data-devices]")) {
      const armsFit = !label.dataset.arms || label.dataset.arms === arms;
      label.hidden = !label.dataset.devices.split(" ").includes(type) || !armsFit;
    }
  }

  // The operator types the same things every morning: keep the last values.
  remember() {
    const values = {};
    for (const field of this.form.elements) {
      if (!field.name) continue;
      values[field.name] = field.type === "checkbox" ? field.checked : field.value;
    }
    localStorage.setItem(FORM_STORAGE_KEY, JSON.stringify(values));
  }

  restore() {
    let values;
    try {
      values = JSON.parse(localStorage.getItem(FORM_STORAGE_KEY) || "{}");
    } catch {
      return;
    }
    for (const [name, value] of Object.entries(values)) this.setValue(name, value);
  }

  // The REST body: each control named "part.field" fills body.part.field (empty ones are
  // left to the server's defaults); the driver select becomes `policy` and `devices`.
  body() {
    const body = {};
    for (const field of this.form.elements) {
      const path = field.name?.split(".");
      if (!path || path.length !== 2 || path[0] === "device") continue;
      const value = this.fieldValue(field);
      if (value === undefined) continue;
      body[path[0]] = { ...body[path[0]], [path[1]]: value };
    }
    const f = this.form.elements;
    body.episodes = this.fieldValue(f.episodes);
    if (f.mode.value === "evaluate") body.mode = "evaluate";
    const human = this.humanDevice();
    if (f.device.value === "policy") body.policy = this.policyConfig(body.policy || {});
    else delete body.policy;
    body.devices = human === "none" ? [] : this.deviceConfigs(human);
    return body;
  }

  // A checkpoint (policy.path) is served by the session itself, in the lerobot Python;
  // without one the session connects to the policy server (policy.url).
  policyConfig(policy) {
    const { url, python, ...rest } = policy;
    if (policy.path) return { ...rest, type: "checkpoint", ...(python ? { python } : {}) };
    return url ? { ...rest, url } : rest;
  }

  // The policy is a checkpoint the session serves: its start waits for the server to load.
  servesCheckpoint() {
    const f = this.form.elements;
    return f.device.value === "policy" && f["policy.path"].value.trim() !== "";
  }

  fieldValue(field) {
    if (field.type === "checkbox") return field.checked;
    const raw = field.value.trim();
    if (raw === "") return undefined;
    if (field.type === "number") return Number(raw);
    if (field.dataset.parse === "bool") return raw === "true";
    return raw;
  }

  // The devices' configs: one, or for a two-arm task's leader arms one per arm, each with
  // its arm and its port (controls device.left_port, device.right_port).
  deviceConfigs(type) {
    const device = this.deviceConfig(type);
    const arms = this.taskArms();
    if (type !== "so101_leader" || arms.length < 2) return [device];
    return arms.map((arm) => {
      const one = { ...device, arm };
      for (const side of arms) delete one[`${side}_port`];
      const port = device[`${arm}_port`];
      if (port !== undefined) one.port = port;
      return one;
    });
  }

  // A device's config: its type and the options shown for it (controls named device.*).
  deviceConfig(type) {
    const device = { type };
    for (const field of this.form.querySelectorAll("[name^='device.']")) {
      if (field.closest("[data-devices]")?.hidden) continue;
      const value = this.fieldValue(field);
      if (value !== undefined) device[field.name.slice("device.".length)] = value;
    }
    return device;
  }

  // A resume refused because the dataset was recorded with other settings: each one in
  // this form's words (the label of its control and the value that matches the dataset),
  // and those controls marked.
  describeDifferences(repoId, differences) {
    const label = (name) => {
      const control = this.form.elements[name];
      const text = control?.closest("label")?.firstChild?.textContent?.trim();
      return text || name;
    };
    const shown = (name, value) => {
      const control = this.form.elements[name];
      const option = control?.options && [...control.options].find((o) => o.value === String(value));
      return option ? option.textContent : String(value);
    };
    const plain = (value) => (Array.isArray(value) ? value.join(", ") : typeof value === "object" && value ? JSON.stringify(value) : String(value));
    const lines = differences.map((d) => {
      for (const name of d.fields || []) this.markControl(name);
      if (d.use) {
        const names = Object.keys(d.use);
        const value = (v) => (names.length > 1 && Array.isArray(v) ? v.join("×") : shown(names[0], plain(v)));
        const sets = names.map((name) => `${label(name)} to ${shown(name, d.use[name])}`).join(" and ");
        return `${names.map(label).join(" × ")}: the dataset has ${value(d.dataset)}, this session ${value(d.requested)} — set ${sets}.`;
      }
      if (d.setting === "cameras") {
        return `Cameras: the dataset's differ from this task's (dataset: ${plain(d.dataset) || "none extra"}; task: ${plain(d.requested) || "none extra"}) — choose the ${label("env.task")} it was recorded with.`;
      }
      if ((d.fields || []).length) {
        return `${d.fields.map(label).join(" × ")}: the dataset was recorded otherwise (${plain(d.dataset)}, this session ${plain(d.requested)}) — no value here matches it.`;
      }
      const names = { robot_type: "Robot type", pix_fmt: "Pixel format" };
      return `${names[d.setting] || d.setting}: the dataset has ${plain(d.dataset)}, this session ${plain(d.requested)} — no setting here changes it.`;
    });
    return [`“${repoId}” was recorded with other settings; to append to it:`, ...lines.map((l) => `• ${l}`), "Or record into a new dataset (another repo id)."].join("\n");
  }

  markControl(name) {
    const control = this.form.elements[name];
    const label = control?.closest?.("label");
    if (!label) return;
    label.classList.add("attention");
    const details = label.closest("details");
    if (details) details.open = true;
    const calm = () => label.classList.remove("attention");
    control.addEventListener("change", calm, { once: true });
    control.addEventListener("input", calm, { once: true });
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  // The words of a control's label ("Dataset repo id" for repo_id), for messages.
  labelOf(name) {
    const control = this.form.elements[name];
    return control?.closest("label")?.firstChild?.textContent?.trim() || name;
  }

  // The form control a field of the REST body names: controls are named by body path
  // ("dataset.repo_id"); past a union's tag ["env", "mujoco", "fps"] is env.fps, and a
  // device's option ["devices", 0, "so101_leader", "port"] is device.port.
  controlOf(loc) {
    const parts = (Array.isArray(loc) ? loc : String(loc).split(".")).map(String).filter((p) => p !== "body");
    const last = parts[parts.length - 1];
    // A two-arm task's leader arms are listed in the task's arm order: devices.1.port is the
    // right arm's port control.
    const side = parts[0] === "devices" ? this.taskArms()[Number(parts[1])] : undefined;
    const sided = side && last === "port" ? [`device.${side}_port`] : [];
    const names = [...sided, parts.join("."), `${parts[0]}.${last}`, `device.${last}`, last];
    return names.find((name) => this.form.elements.namedItem(name)) ?? null;
  }

  // A refused start in the form's words: its controls' labels, its Resume checkbox.
  describeRefusal(repoId, err) {
    const data = err.data || {};
    if (Array.isArray(data.differences) && data.differences.length) {
      return this.describeDifferences(repoId, data.differences);
    }
    if (data.exists) {
      this.markControl("dataset.resume");
      return (
        `“${data.exists.repo_id}” already exists on the server. ` +
        "Tick Resume to add episodes to it, or enter another Dataset repo id."
      );
    }
    if (err.status === 422 && Array.isArray(data.detail)) {
      for (const d of data.detail) this.markControl(this.controlOf(d.loc || []));
      return describeDetail(data.detail, (loc) => {
        const control = this.controlOf(loc);
        return control ? this.labelOf(control) : loc;
      });
    }
    return err.message;
  }

  async submit() {
    if (this.busy) return;
    // Read from the form, not the REST body (whose shape is the API's).
    const repoId = this.form.elements["dataset.repo_id"].value.trim();
    const problem = repoIdProblem(repoId, this.labelOf("dataset.repo_id"));
    if (problem) {
      this.showError(problem);
      this.markControl("dataset.repo_id");
      this.form.elements["dataset.repo_id"].focus();
      return;
    }
    const body = this.body();
    this.showError("");
    this.busy = true;
    const button = this.form.querySelector("#btn-start");
    button.disabled = true;
    button.firstChild.textContent = this.servesCheckpoint() ? "Starting the policy server… " : "Starting… ";
    try {
      const snapshot = await api.post("/api/session", body);
      this.remember();
      this.onStarted(snapshot);
    } catch (err) {
      this.showError(this.describeRefusal(repoId, err));
    } finally {
      this.busy = false;
      button.disabled = false;
      button.firstChild.textContent = "Start session ";
    }
  }
}

// A long folder shortened to its last parts ("…/lerobot"), so the hint stays within two
// lines beside the form; the whole path is in the hint's title and in the guide.
function shortPath(path, keep = 32) {
  if (path.length <= keep) return path;
  const parts = path.split("/");
  let tail = parts.pop();
  while (parts.length && tail.length + parts[parts.length - 1].length + 1 <= keep) tail = `${parts.pop()}/${tail}`;
  return `…/${tail}`;
}

export class Controls {
  constructor(root, getPhase) {
    this.root = root;
    this.getPhase = getPhase;
    this.buttons = Object.fromEntries(
      [...root.querySelectorAll("[data-command]")].map((b) => [b.dataset.command, b]),
    );
    for (const [name, button] of Object.entries(this.buttons)) {
      button.addEventListener("click", () => this.send(name));
    }
  }

  async send(name) {
    try {
      await api.post(`/api/session/${name}`);
    } catch (err) {
      toast(`${name}: ${err.message}`, "bad");
    }
  }

  // "Next" means what the operator wants to happen next: end the episode as a success,
  // or, during the reset wait, start the next episode now.
  next() {
    const phase = this.getPhase();
    if (phase === "resetting") this.send("reset");
    else this.send("success");
  }

  update(phase) {
    const episode = EPISODE_PHASES.has(phase);
    const b = this.buttons;
    b.success.disabled = !episode;
    b.failure.disabled = !episode;
    b.rerecord.disabled = !episode;
    b.reset.disabled = !(phase === "resetting" || phase === "error");
    b.stop.disabled = phase === "idle";
    // During the reset wait "next episode" is the one thing to do: make it stand out.
    b.reset.classList.toggle("btn-primary", phase === "resetting");
    b.reset.firstChild.textContent = phase === "error" ? "Recover (reset scene) " : "Next episode now ";
    this.root.dataset.active = String(phase !== "idle");
  }
}
