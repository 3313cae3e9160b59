// camera.js — live capture with getUserMedia and on-screen guidance.
// Guidance comes from two places: the preview's light, measured here several
// times a second, and every 1.5 s the authority's face engine on a frame
// sealed to it (checker: a function from JPEG bytes to {"faces", "ok",
// "reasons"}, see app.js); its reason codes become advice (adviceFor).

const ADVICE = {
  no_face: 'No face found: look straight at the camera, inside the oval.',
  face_too_small: 'Your face is too small: come closer.',
  face_cut_off: 'Part of your face is outside the picture: centre it in the oval.',
  too_blurry: 'The picture is blurred: hold still.',
  too_dark: 'Too dark: turn towards a light.',
  too_bright: 'Too bright: move out of direct light.',
  pose_yaw: 'Look straight at the camera (your head is turned).',
  pose_pitch: 'Look straight at the camera (your head is tilted up or down).',
  pose_roll: 'Hold your head upright.',
  no_match: 'The face does not match the register photo.',
};

// What the resident is asked to do during the liveness challenge ("left" is
// their own left: the preview is mirrored, so it looks the same way on screen).
const MOVES = {
  front: 'Look straight at the camera.',
  left: 'Slowly turn your head to your left.',
  right: 'Slowly turn your head to your right.',
  up: 'Slowly tilt your head up.',
  down: 'Slowly tilt your head down.',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function adviceFor(code) {
  return ADVICE[code] || null;
}

export class Camera {
  constructor(box) {
    this.box = box;
    this.video = box.querySelector('video');
    this.guide = box.querySelector('.guide');
    this.stream = null;
    this.timer = null;
    this.probe = document.createElement('canvas');
    this.probe.width = 64;
    this.probe.height = 48;
    this.checker = null;
    this.verdict = null; // the face engine's last {ok, reasons, at}
    this.checking = false;
  }

  async start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia)
      throw new Error('this browser has no camera access (a secure page is needed)');
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } }, audio: false,
    });
    this.video.srcObject = this.stream;
    await this.video.play();
    this.timer = setInterval(() => this.advise(), 400);
    this.lastCheck = 0;
    this.verdict = null;
    this.advise();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
    this.stream = null;
    this.video.srcObject = null;
  }

  say(text, kind = 'info') {
    this.guide.textContent = text;
    this.guide.dataset.kind = kind;
  }

  // Light and sharpness of the centre of the preview, where the oval is.
  measure() {
    const v = this.video;
    if (!v.videoWidth) return null;
    const c = this.probe.getContext('2d', { willReadFrequently: true });
    const sw = v.videoWidth * 0.44, sh = v.videoHeight * 0.76;
    c.drawImage(v, (v.videoWidth - sw) / 2, (v.videoHeight - sh) / 2, sw, sh, 0, 0, 64, 48);
    const d = c.getImageData(0, 0, 64, 48).data;
    const luma = new Float32Array(64 * 48);
    let sum = 0;
    for (let i = 0; i < luma.length; i++) {
      luma[i] = 0.299 * d[4 * i] + 0.587 * d[4 * i + 1] + 0.114 * d[4 * i + 2];
      sum += luma[i];
    }
    const mean = sum / luma.length;
    let lap = 0, n = 0;
    for (let y = 1; y < 47; y++)
      for (let x = 1; x < 63; x++) {
        const i = y * 64 + x;
        const l = 4 * luma[i] - luma[i - 1] - luma[i + 1] - luma[i - 64] - luma[i + 64];
        lap += l * l; n++;
      }
    return { mean, detail: lap / n };
  }

  // Asks the face engine about the current frame, at most one at a time.
  async check() {
    if (!this.checker || this.checking || Date.now() - this.lastCheck < 1500) return;
    this.checking = true;
    this.lastCheck = Date.now();
    try {
      const v = await this.checker(await this.capture());
      if (v && this.stream) this.verdict = { ...v, at: Date.now() };
    } catch {
      this.verdict = null; // no engine advice: the light check still runs
    } finally {
      this.checking = false;
    }
  }

  advise() {
    if (this.guide.dataset.move) return; // the burst's instruction stays on screen
    const m = this.measure();
    if (!m) return this.say('Starting the camera…');
    this.check();
    if (m.mean < 50) return this.say(ADVICE.too_dark, 'warn');
    if (m.mean > 215) return this.say(ADVICE.too_bright, 'warn');
    const v = this.verdict && Date.now() - this.verdict.at < 5000 ? this.verdict : null;
    if (v && !v.ok) return this.say(ADVICE[v.reasons[0]] || ADVICE.no_face, 'warn');
    if (!v && m.detail < 4) return this.say('Nothing in view: look at the camera, inside the oval.', 'warn');
    if (!v) return this.say('Look at the camera, inside the oval…');
    this.say('Good: keep still and look at the camera.', 'ok');
  }

  // The liveness burst: the resident follows the authority's challenge (a list
  // of movements) while frames are taken, in time order: facing the camera,
  // then each movement, facing the camera again in between. At most 16
  // frames, about 5 seconds.
  async burst(moves) {
    const frames = [];
    const phase = async (move, count) => {
      this.guide.dataset.move = move;
      this.say(MOVES[move] || MOVES.front, 'warn');
      await sleep(350); // time to start moving
      for (let i = 0; i < count; i++) {
        frames.push(await this.capture());
        await sleep(250);
      }
    };
    const checker = this.checker;
    this.checker = null; // no guidance requests while the burst is filmed
    try {
      for (const m of moves) {
        await phase('front', 2);
        await phase(m, 6);
      }
    } finally {
      delete this.guide.dataset.move;
      this.checker = checker;
    }
    this.say('Done: keep still.', 'ok');
    return frames;
  }

  // The current frame as JPEG bytes, at the camera's own resolution.
  async capture() {
    const v = this.video;
    if (!v.videoWidth) throw new Error('the camera has not started');
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    c.getContext('2d').drawImage(v, 0, 0);
    const blob = await new Promise((resolve) => c.toBlob(resolve, 'image/jpeg', 0.92));
    return new Uint8Array(await blob.arrayBuffer());
  }
}

// The markup a page puts where the camera goes:
//   <div class="camera"><video muted playsinline></video><div class="oval"></div>
//   <p class="guide" role="status" aria-live="polite"></p></div>
