// Short audio cues synthesized with WebAudio (no sound files to ship). The operator's
// eyes are often on the arm, so start / success / reset / error each have a distinct shape.
// Muting is remembered in localStorage.

const STORAGE_KEY = "leisaac.muted";

const CUES = {
  start: [[660, 0, 0.09], [880, 0.11, 0.12]], // rising: recording begins
  success: [[523, 0, 0.1], [659, 0.1, 0.1], [784, 0.2, 0.22]], // major arpeggio
  reset: [[440, 0, 0.18]], // one neutral tone: put the scene back
  error: [[220, 0, 0.18], [180, 0.22, 0.3]], // low, falling
};

export class AudioCues {
  constructor() {
    this.ctx = null;
    this.muted = localStorage.getItem(STORAGE_KEY) === "true";
    this.played = []; // names of cues played, newest last (visible to tests and curious people)
  }

  // Browsers allow an AudioContext only after a user gesture; the page calls this on the
  // first click or key press, so no autoplay warning ever reaches the console.
  unlock() {
    if (this.ctx || typeof AudioContext === "undefined") return;
    this.ctx = new AudioContext();
  }

  setMuted(muted) {
    this.muted = muted;
    localStorage.setItem(STORAGE_KEY, String(muted));
  }

  play(name) {
    const notes = CUES[name];
    if (!notes) return;
    this.played.push(name);
    if (this.played.length > 50) this.played.shift();
    if (this.muted || !this.ctx) return;
    if (this.ctx.state === "suspended") this.ctx.resume();
    const t0 = this.ctx.currentTime + 0.01;
    for (const [freq, at, length] of notes) {
      const osc = this.ctx.createOscillator();
      const gain = this.ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t0 + at);
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + at + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + length);
      osc.connect(gain).connect(this.ctx.destination);
      osc.start(t0 + at);
      osc.stop(t0 + at + length + 0.02);
    }
  }
}
