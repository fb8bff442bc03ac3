// The live connection: status, events and binary camera frames over one websocket.
// It reconnects by itself with exponential backoff (plus jitter, so a restarted server is
// not hit by every page at once) and reports each state change so the page can say so.

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 8000;
// Status arrives at 10 Hz; this much silence means the connection is dead even if the
// socket has not noticed yet (a laptop that slept, a cable pulled mid-way).
const SILENCE_LIMIT_MS = 5000;
const PING_EVERY_MS = 2000;

// Binary frame: u8 name_len | name utf-8 | f64 frame_time LE | u32 tick LE | JPEG bytes.
export function parseFrame(buffer) {
  const view = new DataView(buffer);
  const nameLength = view.getUint8(0);
  const name = new TextDecoder().decode(new Uint8Array(buffer, 1, nameLength));
  const frameTime = view.getFloat64(1 + nameLength, true);
  const tick = view.getUint32(1 + nameLength + 8, true);
  const jpeg = new Uint8Array(buffer, 1 + nameLength + 12);
  return { name, frameTime, tick, jpeg };
}

// The server's clock against this page's, as NTP estimates it: from each ping's round trip
// (sent at t0, stamped by the server, back at t1) offset = server - (t0 + t1) / 2; of the
// last 16 trips the one with the least queueing wins. Used to tell how old what the page
// shows is (the live video's glass-to-glass latency), as the leader relay does.
export class ClockOffset {
  constructor(window = 16) {
    this.window = window;
    this.trips = [];
  }

  add(t0, server, t1) {
    if (t1 < t0) return;
    this.trips.push({ rtt: t1 - t0, offset: server - (t0 + t1) / 2 });
    if (this.trips.length > this.window) this.trips.shift();
  }

  get best() {
    return this.trips.reduce((a, b) => (b.rtt < a.rtt ? b : a), this.trips[0]);
  }

  get offsetMs() {
    return this.trips.length ? this.best.offset : null;
  }

  get rttMs() {
    return this.trips.length ? this.best.rtt : null;
  }
}

export class LiveSocket {
  constructor(handlers) {
    this.handlers = handlers; // {message(msg), frame(frame), state(state, info)}
    this.clock = new ClockOffset();
    this.ws = null;
    this.attempt = 0;
    this.lastMessageAt = 0;
    this.retryTimer = null;
    this.watchdog = null;
    this.closedByUs = false;
  }

  connect() {
    clearTimeout(this.retryTimer);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.handlers.state("connecting", { attempt: this.attempt });
    ws.onopen = () => {
      this.attempt = 0;
      this.lastMessageAt = performance.now();
      this.handlers.state("open", {});
      clearInterval(this.watchdog);
      this.watchdog = setInterval(() => this.checkAlive(), PING_EVERY_MS);
      this.send({ type: "ping", t: Date.now() }); // a clock estimate from the start
    };
    ws.onmessage = (event) => {
      this.lastMessageAt = performance.now();
      if (typeof event.data === "string") {
        let msg;
        try {
          msg = JSON.parse(event.data);
        } catch {
          console.warn("ignoring a websocket message that is not JSON");
          return;
        }
        if (msg.type === "pong" && typeof msg.server_time === "number" && typeof msg.t === "number") {
          this.clock.add(msg.t, msg.server_time, Date.now());
        }
        this.handlers.message(msg);
      } else {
        this.handlers.frame(parseFrame(event.data));
      }
    };
    ws.onclose = (event) => {
      clearInterval(this.watchdog);
      if (this.ws !== ws) return; // an old socket we already replaced
      this.ws = null;
      if (event.code === 4401) {
        this.handlers.state("unauthorized", { reason: event.reason });
        return;
      }
      if (!this.closedByUs) this.scheduleReconnect();
    };
    // onerror is always followed by onclose; reconnecting happens there.
    ws.onerror = () => {};
  }

  scheduleReconnect() {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = base * (0.75 + Math.random() * 0.5);
    this.attempt += 1;
    this.handlers.state("closed", { retryInMs: delay, attempt: this.attempt, retryAt: performance.now() + delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  checkAlive() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (performance.now() - this.lastMessageAt > SILENCE_LIMIT_MS) {
      ws.close(); // onclose schedules the reconnect
      return;
    }
    this.send({ type: "ping", t: Date.now() });
  }

  // Try to reconnect now (the operator pressed "retry").
  retryNow() {
    if (this.ws) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(message) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }
}
