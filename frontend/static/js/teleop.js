// Keyboard / gamepad teleoperation from this page (devices "keyboard" and "gamepad").
// Only the client holding control may drive the arm; the server says who holds it, and any
// page may take control from another (the transfer). The held keys and the gamepad state
// are sent at a steady rate while in control, so a lost key-up can never leave the arm
// moving for long; leaving the tab (blur, hidden) releases every key.
// With the "policy" device the page in control may take over from the policy (button or T):
// its input then carries `takeover: true` and the keys drive; the server says who drives.
// A two-arm task's keys drive one arm at a time: the switch (1 / 2, the gamepad's d-pad
// left / right) picks it, every input names it (`arm`), and the other arm holds still.

import { isTyping } from "./hotkeys.js";

const SEND_HZ = 30;
// Speed: a fraction of LeIsaac's per-tick steps (1 cm, 0.15 rad at 30 Hz: far too fast for a
// first grasp). The slider's value is remembered per browser; Shift held divides it by five.
export const DEFAULT_SPEED_PERCENT = 25;
export const PRECISION_FACTOR = 0.2;
const SPEED_STORE = "leisaac.teleop.speedPercent";
const SPEED_STEP = 5;
// The keyboard device's keys (LeIsaac's mapping); none of them is a session hotkey.
export const DRIVE_KEYS = "W/S forward·back · Q/E up·down · A/D pan · K/I wrist pitch · J/L wrist roll · U/O gripper";
const DRIVE_CODES = new Set(["KeyW", "KeyS", "KeyQ", "KeyE", "KeyA", "KeyD", "KeyK", "KeyI", "KeyJ", "KeyL", "KeyU", "KeyO"]);
// Two arms: these keys and gamepad buttons (standard mapping's d-pad) pick the arm.
const ARM_CODES = ["Digit1", "Digit2"];
const ARM_PAD_BUTTONS = [14, 15];

// The arms a task's joints name, in order: ["left", "right"] (none for one arm).
export function armsOf(jointNames) {
  return (jointNames || []).filter((n) => n.endsWith("_shoulder_pan.pos")).map((n) => n.slice(0, -"_shoulder_pan.pos".length));
}

// The first connected gamepad's state, as plain arrays (the Gamepad object is a live view
// in some browsers and a snapshot in others).
function readGamepad() {
  const pads = navigator.getGamepads ? [...navigator.getGamepads()] : [];
  const pad = pads.find((g) => g && g.connected !== false);
  if (!pad) return null;
  return {
    id: pad.id,
    axes: [...pad.axes].map(Number),
    buttons: [...pad.buttons].map((b) => (typeof b === "number" ? b : b.value)),
  };
}

export class Teleop {
  constructor(socket, { button, help, state, takeoverButton, driver, speed, speedValue, speedBox, armSwitch }) {
    this.socket = socket;
    this.armSwitch = armSwitch;
    this.arms = [];
    this.arm = 0; // index of the arm the keys drive
    for (const b of armSwitch.querySelectorAll("[data-arm-index]")) {
      b.addEventListener("click", () => this.chooseArm(Number(b.dataset.armIndex)));
    }
    this.speed = speed;
    this.speedValue = speedValue;
    this.speedBox = speedBox;
    this.precision = false; // Shift held
    speed.value = String(loadSpeedPercent());
    speed.addEventListener("input", () => {
      saveSpeedPercent(Number(speed.value));
      this.renderSpeed();
    });
    // A focused slider would also take the arrow keys, which are session hotkeys.
    speed.addEventListener("change", () => speed.blur());
    this.renderSpeed();
    this.button = button;
    this.help = help;
    this.state = state;
    this.takeoverButton = takeoverButton;
    this.driverText = driver;
    this.device = null;
    this.takeover = false; // this page asks to drive instead of the policy
    this.driver = null; // who drives, as the server reports it: "policy" or "human"
    help.textContent = `Keyboard: ${DRIVE_KEYS}. Gamepad: sticks move, bumpers pitch, triggers gripper.`;
    this.clientId = null;
    this.owner = null;
    this.haveControl = false;
    this.active = false; // a browser device drives the running session
    this.held = new Set();
    this.pad = null;
    this.timer = null;
    this.frame = null;
    this.sent = 0; // input messages sent: lets tests see the stream flow
    button.addEventListener("click", () => {
      this.socket.send({ type: this.haveControl ? "release_control" : "take_control" });
    });
    takeoverButton.addEventListener("click", () => this.toggleTakeover());
    document.addEventListener("keydown", (e) => {
      if (!this.haveControl || e.ctrlKey || e.altKey || e.metaKey || isTyping(e.target)) return;
      if (e.code === "KeyT" && this.device === "policy" && !e.repeat) {
        e.preventDefault();
        this.toggleTakeover();
        return;
      }
      if (e.key === "Shift") return this.setPrecision(true);
      if (ARM_CODES.includes(e.code) && this.arms.length > 1) {
        e.preventDefault();
        this.chooseArm(ARM_CODES.indexOf(e.code));
        return;
      }
      if (e.code === "Minus" || e.code === "Equal") {
        e.preventDefault();
        this.nudgeSpeed(e.code === "Minus" ? -SPEED_STEP : SPEED_STEP);
        return;
      }
      if (!DRIVE_CODES.has(e.code)) return;
      e.preventDefault(); // Q/E/... must not also scroll or type elsewhere
      this.held.add(e.code);
      // Now, not at the next send: a tap shorter than the send period still reaches the
      // server, which moves a tapped key one tick's step.
      if (!e.repeat) this.send();
    });
    document.addEventListener("keyup", (e) => {
      if (e.key === "Shift") this.setPrecision(false);
      if (this.held.delete(e.code) && this.haveControl) this.send();
    });
    window.addEventListener("blur", () => this.releaseInputs());
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) this.releaseInputs();
    });
    window.addEventListener("gamepadconnected", () => this.render());
    window.addEventListener("gamepaddisconnected", () => this.render());
  }

  // The task's arms, from the joint names the server reports.
  setArms(jointNames) {
    const arms = armsOf(jointNames);
    if (arms.join() === this.arms.join()) return;
    this.arms = arms;
    this.arm = 0;
    this.render();
  }

  chooseArm(index) {
    if (index < 0 || index >= this.arms.length || index === this.arm) return;
    this.arm = index;
    this.held.clear(); // a key held for one arm must not carry on into the other
    if (this.haveControl) this.send();
    this.render();
  }

  // The fraction of LeIsaac's steps the server applies now.
  speedFraction() {
    return (Number(this.speed.value) / 100) * (this.precision ? PRECISION_FACTOR : 1);
  }

  setPrecision(on) {
    if (on === this.precision) return;
    this.precision = on;
    this.renderSpeed();
  }

  nudgeSpeed(delta) {
    const value = Math.min(Number(this.speed.max), Math.max(Number(this.speed.min), Number(this.speed.value) + delta));
    this.speed.value = String(value);
    saveSpeedPercent(value);
    this.renderSpeed();
  }

  renderSpeed() {
    const percent = Number(this.speed.value);
    this.speedValue.textContent = this.precision ? `${percent}% × ${PRECISION_FACTOR} (Shift)` : `${percent}%`;
    this.speedBox.dataset.precision = String(this.precision);
  }

  releaseInputs() {
    this.setPrecision(false);
    this.held.clear();
    this.pad = null;
    if (this.haveControl) this.send(); // say so now rather than at the next tick
  }

  hello(message) {
    this.clientId = message.client_id ?? null;
  }

  toggleTakeover() {
    if (!this.haveControl || this.device !== "policy") return;
    this.takeover = !this.takeover;
    this.send(); // now, not at the next tick
    this.render();
  }

  // device_health.details of a policy session: who drives right now.
  setDriver(details) {
    const driver = (details && details.driver) || null;
    if (driver === this.driver) return;
    this.driver = driver;
    this.render();
  }

  setDevice(device, phase) {
    const active = ["keyboard", "gamepad", "policy"].includes(device) && phase !== "idle";
    this.device = device;
    if (active === this.active) return;
    this.active = active;
    if (!active) this.takeover = false;
    if (!active && this.haveControl) this.socket.send({ type: "release_control" });
    this.render();
  }

  control(message) {
    this.clientId = message.client_id ?? this.clientId;
    this.owner = message.owner ?? null;
    this.haveControl = Boolean(message.you_have_control);
    clearInterval(this.timer);
    cancelAnimationFrame(this.frame);
    this.timer = this.frame = null;
    if (this.haveControl) {
      this.timer = setInterval(() => this.send(), 1000 / SEND_HZ);
      this.frame = requestAnimationFrame(() => this.pollGamepad());
    } else {
      this.held.clear();
      this.pad = null;
      this.takeover = false; // the server hands the arm back when our input stops
    }
    this.render();
  }

  // Gamepads have no events for stick and button changes: read them every animation frame.
  pollGamepad() {
    if (!this.haveControl) return;
    this.pad = document.hidden ? null : readGamepad();
    const pressed = ARM_PAD_BUTTONS.findIndex((b) => this.pad && this.pad.buttons[b] > 0.5);
    if (pressed >= 0) this.chooseArm(pressed);
    this.frame = requestAnimationFrame(() => this.pollGamepad());
  }

  render() {
    const state = this.haveControl ? "mine" : this.owner != null ? "other" : "none";
    this.button.hidden = !this.active;
    this.help.hidden = !this.active;
    this.speedBox.hidden = !this.active;
    this.state.hidden = !this.active;
    this.state.dataset.state = state;
    this.button.textContent = this.haveControl ? "Release control" : state === "other" ? "Take control from the other page" : "Take control";
    // Taking control is the call to action; releasing it is the quiet option.
    this.button.classList.toggle("btn-primary", state !== "mine");
    this.button.classList.toggle("btn-ghost", state === "mine");
    const pad = readGamepad();
    const padText = pad ? ` Gamepad: ${pad.id}.` : "";
    const twoArms = this.arms.length > 1;
    this.armSwitch.hidden = !(this.active && twoArms);
    for (const b of this.armSwitch.querySelectorAll("[data-arm-index]")) {
      b.setAttribute("aria-pressed", String(Number(b.dataset.armIndex) === this.arm));
    }
    const armName = twoArms ? `the ${this.arms[this.arm]} arm` : "the arm";
    this.help.textContent =
      `Keyboard: ${DRIVE_KEYS}. Gamepad: sticks move, bumpers pitch, triggers gripper.` +
      (twoArms ? " Two arms: 1 / 2 (d-pad left / right) picks the arm the keys drive; the other holds its pose and grip." : "");
    const policy = this.active && this.device === "policy";
    this.takeoverButton.hidden = !(policy && this.haveControl);
    this.takeoverButton.textContent = this.takeover ? "Hand back to the policy (T)" : "Take over from the policy (T)";
    this.takeoverButton.classList.toggle("btn-primary", !this.takeover);
    this.takeoverButton.classList.toggle("btn-ghost", this.takeover);
    this.driverText.hidden = !policy;
    this.driverText.dataset.driver = this.driver || "policy";
    this.driverText.textContent =
      this.driver === "human" ? "A human drives (takeover): frames are marked as intervention." : "The policy drives.";
    this.state.textContent =
      state === "mine"
        ? `You have control: the keys${pad ? " and the gamepad" : ""} drive ${armName}.${padText}`
        : state === "other"
          ? `Page #${this.owner} has control${this.clientId != null ? ` (this is page #${this.clientId})` : ""}. Take control to drive from here.`
          : "Nobody has control: take control to drive the arm from this page.";
  }

  send() {
    const pad = this.pad;
    this.sent += 1;
    const message = {
      type: "input",
      keys: [...this.held],
      axes: pad ? pad.axes : [],
      buttons: pad ? pad.buttons : [],
      speed: this.speedFraction(),
      // Stamped, with this page's clock offset from the server's, so the server measures
      // the input's age as it does a leader relay's samples.
      sent_at: Date.now(),
    };
    const offset = this.socket.clock && this.socket.clock.offsetMs;
    if (offset != null) message.clock_offset_ms = offset;
    if (this.device === "policy") message.takeover = this.takeover;
    if (this.arms.length > 1) message.arm = this.arms[this.arm];
    this.socket.send(message);
  }
}

function loadSpeedPercent() {
  try {
    const stored = Number(localStorage.getItem(SPEED_STORE));
    return stored >= 5 && stored <= 100 ? stored : DEFAULT_SPEED_PERCENT;
  } catch {
    return DEFAULT_SPEED_PERCENT; // storage disabled: the default, every time
  }
}

function saveSpeedPercent(percent) {
  try {
    localStorage.setItem(SPEED_STORE, String(percent));
  } catch {
    // storage disabled: the slider still works for this page
  }
}
