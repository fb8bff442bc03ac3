// Keyboard / gamepad teleoperation from this page (devices "keyboard" and "gamepad").
// Only the client holding control may drive the arm; the server says who holds it. The
// held keys and the gamepad state are sent at a steady rate while in control, so a lost
// key-up can never leave the arm moving for long.

import { isTyping } from "./hotkeys.js";

const SEND_HZ = 30;
// The keyboard device's keys (LeIsaac's mapping); none of them is a session hotkey.
export const DRIVE_KEYS = "W/S forward·back · Q/E up·down · A/D pan · K/I wrist pitch · J/L wrist roll · U/O gripper";

export class Teleop {
  constructor(socket, button, help) {
    this.socket = socket;
    this.button = button;
    this.help = help;
    help.textContent = `Keyboard: ${DRIVE_KEYS}. Gamepad: sticks move, bumpers pitch, triggers gripper.`;
    this.haveControl = false;
    this.device = null;
    this.held = new Set();
    this.timer = null;
    button.addEventListener("click", () => {
      this.socket.send({ type: this.haveControl ? "release_control" : "take_control" });
    });
    document.addEventListener("keydown", (e) => {
      if (this.haveControl && !e.repeat && !isTyping(e.target)) this.held.add(e.code);
    });
    document.addEventListener("keyup", (e) => this.held.delete(e.code));
    window.addEventListener("blur", () => this.held.clear());
  }

  setDevice(device, phase) {
    this.device = device;
    const browserDevice = (device === "keyboard" || device === "gamepad") && phase !== "idle";
    this.button.hidden = !browserDevice;
    this.help.hidden = !browserDevice;
    if (!browserDevice && this.haveControl) this.socket.send({ type: "release_control" });
  }

  control(message) {
    this.haveControl = Boolean(message.you_have_control);
    const owner = message.owner;
    this.button.textContent = this.haveControl
      ? "Release control (you drive the arm)"
      : owner != null
        ? "Take control (another page drives now)"
        : "Take control (keyboard / gamepad)";
    clearInterval(this.timer);
    if (this.haveControl) this.timer = setInterval(() => this.send(), 1000 / SEND_HZ);
  }

  send() {
    const pad = navigator.getGamepads ? [...navigator.getGamepads()].find((g) => g) : null;
    this.socket.send({
      type: "input",
      keys: [...this.held],
      axes: pad ? [...pad.axes] : [],
      buttons: pad ? pad.buttons.map((b) => b.value) : [],
    });
  }
}
