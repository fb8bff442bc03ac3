// The operator's page: wires the live socket, the views, the controls and the hotkeys.

import { api, goToLogin } from "./api.js";
import { AudioCues } from "./audio.js";
import { Banners, toast } from "./banners.js";
import { CalibrationPanel } from "./calibration.js";
import { CameraWall } from "./cameras.js";
import { LiveVideo } from "./live_video.js";
import { DatasetTools } from "./dataset_tools.js";
import { DatasetBrowser } from "./datasets.js";
import { EvaluationReport } from "./eval_report.js";
import { EVENT } from "./events.js";
import { FleetView } from "./fleet.js";
import { clock, el } from "./format.js";
import { Guide } from "./guide.js";
import { installFocusNote, installHotkeys } from "./hotkeys.js";
import { JointBars } from "./joints.js";
import { LiveView } from "./live.js";
import { Operations } from "./operations.js";
import { PushPanel } from "./push.js";
import { Controls, StartForm } from "./session.js";
import { LiveSocket } from "./socket.js";
import { ReviewPanel } from "./review.js";
import { Teleop } from "./teleop.js";

const $ = (id) => document.getElementById(id);

// Event kind -> [css class for the log, audio cue].
const EVENT_STYLE = {
  [EVENT.RECORDING_STARTED]: ["", "start"],
  [EVENT.SUCCESS_DETECTED]: ["ev-good", null],
  [EVENT.EPISODE_SUCCEEDED]: ["ev-good", "success"],
  [EVENT.EPISODE_SAVED]: ["ev-good", null],
  [EVENT.RESET_STARTED]: ["ev-warn", "reset"],
  [EVENT.EPISODE_FAILURE]: ["ev-bad", null],
  [EVENT.EPISODE_TIMEOUT]: ["ev-bad", null],
  [EVENT.EPISODE_ERROR]: ["ev-bad", "error"],
  [EVENT.REVIEW_WAITING]: ["ev-warn", null],
  [EVENT.EPISODE_DISCARDED]: ["ev-warn", null],
  [EVENT.EPISODE_SAVE_FAILED]: ["ev-bad", "error"],
  [EVENT.SESSION_ERROR]: ["ev-bad", "error"],
  [EVENT.RECOVERED]: ["ev-good", null],
  [EVENT.SESSION_FINISHED]: ["ev-good", null],
  [EVENT.DATASET_REPAIRED]: ["ev-warn", null],
};
const PUSH_EVENTS = new Set([EVENT.PUSH_STARTED, EVENT.PUSH_PROGRESS, EVENT.PUSH_FINISHED, EVENT.PUSH_FAILED]);
const EVENT_LOG_LIMIT = 200;

const audio = new AudioCues();
const banners = new Banners($("banners"));
const cameras = new CameraWall($("cameras"), $("cameras-empty"));
const joints = new JointBars($("joints"));
const controls = new Controls($("controls"), () => live.phase);
const live = new LiveView({ banners, cameras, joints, controls });
const startForm = new StartForm($("start-form"), (snapshot) => live.setSnapshot(snapshot));
const push = new PushPanel();
const operations = new Operations();
const datasets = new DatasetBrowser(confirmDialog, push, operations);
new DatasetTools(datasets, operations);
const fleet = new FleetView();
const guide = new Guide();
let lastSeq = 0;

const socket = new LiveSocket({
  message: onMessage,
  frame: (frame) => cameras.frame(frame),
  state: onSocketState,
});
cameras.clock = socket.clock;
const liveVideo = new LiveVideo(
  {
    video: $("live-video"),
    select: $("live-camera"),
    button: $("live-video-toggle"),
    state: $("live-video-state"),
    healthRow: document.querySelector('#health tr[data-key="video"]'),
  },
  socket.clock,
);
const teleop = new Teleop(socket, {
  button: $("btn-control"),
  help: $("drive-help"),
  state: $("control-state"),
  speed: $("speed"),
  speedValue: $("speed-value"),
  speedBox: $("drive-speed"),
  takeoverButton: $("btn-takeover"),
  driver: $("driver"),
  armSwitch: $("arm-switch"),
});
const calibration = new CalibrationPanel();
const review = new ReviewPanel();
const evalReport = new EvaluationReport($("eval-report"));

function onMessage(msg) {
  switch (msg.type) {
    case "hello":
      live.setSnapshot(msg.snapshot);
      review.setSnapshot(msg.snapshot);
      teleop.hello(msg);
      teleop.setArms(msg.snapshot.joint_names);
      teleop.setDevice(msg.snapshot.device, msg.snapshot.phase);
      calibration.setSession(msg.snapshot.phase, msg.snapshot.device);
      push.hello(msg.push);
      // Replay the recent history once, without sounds or toasts (they are not news).
      for (const ev of msg.events || []) logEvent(ev, { quiet: true });
      break;
    case "status":
      live.setSnapshot(msg.snapshot, msg.system);
      liveVideo.setSession(msg.snapshot.cameras, msg.snapshot.phase !== "idle");
      review.setSnapshot(msg.snapshot);
      teleop.setArms(msg.snapshot.joint_names);
      teleop.setDevice(msg.snapshot.device, msg.snapshot.phase);
      teleop.setDriver((msg.snapshot.device_health || {}).details);
      calibration.setSession(msg.snapshot.phase, msg.snapshot.device);
      break;
    case "event":
      logEvent(msg, { quiet: false });
      break;
    case "control":
      teleop.control(msg);
      break;
    case "operation":
      operations.message(msg);
      break;
    case "command_result":
      if (!msg.ok) toast(`${msg.name}: ${msg.error}`, "bad");
      break;
    case "error":
      toast(msg.message, "bad");
      break;
    default:
      break;
  }
}

function eventItem(ev) {
  const [cls] = EVENT_STYLE[ev.kind] || [""];
  return el(
    "li",
    { class: cls, "data-kind": ev.kind, "data-seq": String(ev.seq ?? "") },
    el("time", { text: clock(ev.time) }),
    el("span", { text: ev.message }),
  );
}

// The server keeps the recent events in memory and every one in its log: older ones are
// fetched a page at a time on request, and stay shown while fewer than EVENT_LOG_LIMIT new
// ones have come in since.
let eventsShown = EVENT_LOG_LIMIT;
async function loadOlderEvents() {
  const list = $("events");
  const oldest = list.lastElementChild?.dataset.seq;
  const query = oldest ? `?before=${oldest}&limit=100` : "?limit=100";
  try {
    const page = await api.get(`/api/session/events/page${query}`);
    for (const ev of page.items.reverse()) list.append(eventItem(ev));
    eventsShown = list.children.length + EVENT_LOG_LIMIT;
    $("events-older").hidden = page.older == null;
  } catch (err) {
    toast(`Older events: ${err.message}`, "bad");
  }
}

function logEvent(ev, { quiet }) {
  if (ev.seq != null && ev.seq <= lastSeq) return;
  if (ev.seq != null) lastSeq = ev.seq;
  const [, cue] = EVENT_STYLE[ev.kind] || ["", null];
  const list = $("events");
  list.prepend(eventItem(ev));
  while (list.children.length > eventsShown) list.lastElementChild.remove();
  $("events-older").hidden = !(Number(list.lastElementChild.dataset.seq) > 1);
  evalReport.event(ev); // also when replayed: the last report stays on show after a reload
  if (quiet) return; // the push panel learns a push in progress from hello's `push`
  if (PUSH_EVENTS.has(ev.kind)) push.event(ev);
  live.event(ev);
  if (cue) audio.play(cue);
  if (ev.kind === EVENT.SESSION_ERROR || ev.kind === EVENT.EPISODE_SAVE_FAILED) toast(ev.message, "bad", 8000);
  if (ev.kind === EVENT.SESSION_FINISHED || ev.kind === EVENT.SESSION_STOPPED) {
    // A session whose episodes ended in errors (they measured nothing) did not go well.
    toast(ev.message, ev.data?.episodes_errored ? "bad" : "ok", ev.data?.episodes_errored ? 8000 : undefined);
    if (!$("view-datasets").hidden) datasets.refresh();
  }
}

let countdown = null;
function onSocketState(state, info) {
  const pill = $("conn");
  clearInterval(countdown);
  operations.setConnected(state === "open");
  if (state === "open") {
    pill.textContent = "live";
    pill.className = "pill pill-ok";
    banners.clear("offline");
    live.setConnected(true);
    return;
  }
  live.setConnected(false);
  if (state === "unauthorized") {
    goToLogin();
    return;
  }
  if (state === "connecting") {
    pill.textContent = info.attempt ? "reconnecting…" : "connecting…";
    pill.className = "pill pill-wait";
    return;
  }
  // closed: say so, with a live countdown to the next attempt and a way to retry now.
  pill.textContent = "offline";
  pill.className = "pill pill-bad";
  const show = () => {
    const left = Math.max(0, (info.retryAt - performance.now()) / 1000);
    banners.set(
      "offline",
      "bad",
      `Server unreachable — reconnecting in ${left.toFixed(0)} s (attempt ${info.attempt}). ` +
        "Recording continues on the server if it is still running.",
      { label: "Retry now", run: () => socket.retryNow() },
    );
  };
  show();
  countdown = setInterval(show, 1000);
}

function runHotkey(action) {
  const phase = live.phase;
  switch (action) {
    case "start":
      if (phase === "idle") {
        showView("record");
        startForm.submit();
      } else {
        toast("A session is already running; stop it first (Esc).");
      }
      break;
    case "success":
    case "failure":
    case "rerecord":
    case "stop":
      if (phase !== "idle") controls.send(action);
      break;
    case "next":
      if (phase !== "idle") controls.next();
      break;
    case "keep":
    case "discard":
      review.decide(action);
      break;
    default:
      break;
  }
}

// <dialog>-based confirm: keyboard friendly, styled, and no blocking window.confirm.
function confirmDialog(title, text) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    $("confirm-cancel").focus();
  });
}

// "#datasets", "#fleet", or one episode: "#datasets/NS/NAME/INDEX" (an evaluation report's
// link to a rollout).
function showView(hash) {
  const [name, namespace, dataset, index] = hash.split("/");
  const view = ["datasets", "fleet"].includes(name) ? name : "record";
  for (const each of ["record", "datasets", "fleet"]) {
    $(`view-${each}`).hidden = each !== view;
    $(`tab-${each}`).setAttribute("aria-selected", String(each === view));
  }
  if (view === "datasets" && dataset && /^\d+$/.test(index || "")) {
    datasets.showEpisode(`${decodeURIComponent(namespace)}/${decodeURIComponent(dataset)}`, Number(index));
  } else if (view === "datasets") datasets.refresh();
  fleet.setVisible(view === "fleet");
}

function setupChrome() {
  const mute = $("mute");
  const renderMute = () => {
    mute.textContent = audio.muted ? "♪ Sound off" : "♪ Sound on";
    mute.setAttribute("aria-pressed", String(audio.muted));
  };
  mute.addEventListener("click", () => {
    audio.unlock();
    audio.setMuted(!audio.muted);
    renderMute();
  });
  renderMute();
  // Audio may start only after a user gesture: unlock on the first one.
  for (const kind of ["pointerdown", "keydown"]) {
    document.addEventListener(kind, () => audio.unlock(), { once: true, capture: true });
  }
  $("events-older").addEventListener("click", loadOlderEvents);
  $("logout").addEventListener("click", async () => {
    await api.post("/api/auth/logout");
    goToLogin();
  });
  window.addEventListener("hashchange", () => showView(location.hash.slice(1)));
  showView(location.hash.slice(1));
  installHotkeys(runHotkey);
  installFocusNote($("focus-note"));
  // The health table also reacts to time passing (stalls), not only to messages.
  setInterval(() => live.render(), 500);
}

async function init() {
  setupChrome();
  socket.connect();
  try {
    const auth = await api.get("/api/auth/status");
    $("logout").hidden = !auth.token_required;
  } catch {
    /* the socket's banner already says the server is unreachable */
  }
  try {
    const options = await startForm.load();
    guide.setDatasetRoot(options.dataset_root);
    fleet.setOptions(options);
  } catch (err) {
    startForm.showError(`Cannot load the session options: ${err.message}`);
  }
  await push.detect();
  window.leisaac.ready = true; // every initial request has been answered
}

window.leisaac = { audio, live, socket, datasets, teleop, calibration, review, liveVideo, startForm }; // for the browser tests and for debugging
init();
