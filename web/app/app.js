// The resident app: enrolment (lightweight here, full from a terminal's QR
// link), answering a relying party's QR link with consent, history, revoking
// this device. Photos and passcodes leave the page only sealed to the
// authority; the device key never leaves the browser.
import * as eid from '/common/eid.js';
import { Camera, adviceFor } from '/common/camera.js';

const $ = eid.$;
const appStatus = $('#app-status');
const cams = {};

// The face engine's verdict on a frame, sealed to the authority: the
// platform relays bytes it cannot open.
async function frameQuality(jpeg) {
  const nonce = eid.randomId(), ts = Date.now();
  const k = await eid.authoritySealKey();
  const sealed = await eid.sealText(k.x, `v1|quality|${nonce}|${ts}`, JSON.stringify({ photo: eid.b64url(jpeg) }));
  const r = await eid.call('POST', '/v1/quality', { nonce, ts, sealed });
  return r.status === 200 ? r.body : null;
}

function camera(id) {
  if (!cams[id]) {
    cams[id] = new Camera($('#' + id));
    cams[id].checker = frameQuality;
  }
  return cams[id];
}

function stopCameras() {
  for (const c of Object.values(cams)) c.stop();
}

async function startCamera(id) {
  const errorBox = $('#' + id + '-error');
  errorBox.textContent = '';
  try {
    await camera(id).start();
  } catch (e) {
    errorBox.textContent = 'The camera cannot start: ' + (e.message || e.name) + '. Allow camera access and reload.';
  }
}

async function view(id, cam) {
  stopCameras();
  eid.show(id);
  if (cam) await startCamera(cam);
}

// Where a refusal of the authority goes: next to the camera when it is about
// the face, else in the page's status line.
function showRefusal(r, camId) {
  const code = r.body && r.body.error && r.body.error.code;
  const message = (r.body && r.body.error && r.body.error.message) || '';
  // a capture too poor to decide on: "take another photo: too_bright, pose_yaw"
  const retake = code === 'poor_quality' && message.split(':').pop().split(',').map((s) => s.trim());
  const advice = message.includes('liveness_')
      ? 'The movements were not recognised: follow the instructions on the screen and try again.'
      : retake ? (adviceFor(retake[0]) || message) + ' Then take the photo again.'
      : adviceFor(code) || (code === 'denied' ? adviceFor('no_match') : null);
  if (advice && camId) $('#' + camId + '-error').textContent = advice;
  else eid.status(appStatus, eid.errorText(r), 'bad');
}

async function busy(button, fn) {
  button.disabled = true;
  eid.status(appStatus, '');
  try { await fn(); } catch (e) { eid.status(appStatus, e.message || String(e), 'bad'); }
  finally { button.disabled = false; }
}

// ---- enrolment -------------------------------------------------------------

// Seals the capture for the session and submits it; keeps the card and the
// new device key on success.
// The session's liveness challenge, filmed: needed at the full level.
async function challengeFrames(sid, camId) {
  const r = await eid.call('GET', `/v1/challenge/${encodeURIComponent(sid)}`);
  if (r.status !== 200) throw new Error(eid.errorText(r));
  const frames = await camera(camId).burst(r.body.challenge);
  return frames.map((f) => eid.b64url(f));
}

async function enrol(session, capture, camId) {
  const device = await eid.newKeyPair();
  capture.photo = eid.b64url(await camera(camId).capture());
  if (session.level === 'full') capture.frames = await challengeFrames(session.sid, camId);
  capture.device_pk = device.pub;
  const ad = `v1|enrol|${session.sid}|${session.nonce}|${session.exp}|${session.level}`;
  const body = await eid.sealAndSign(device.privateKey, ad, capture);
  capture.photo = capture.passcode = capture.frames = null;
  const r = await eid.call('POST', `/v1/enrolments/${encodeURIComponent(session.sid)}`, body);
  if (r.status !== 201) { showRefusal(r, camId); return false; }
  const check = await eid.verifyAuthority(r.body);
  if (!check.ok) { eid.status(appStatus, 'The card is not signed by the authority: ' + check.reason, 'bad'); return false; }
  await eid.stateSet('device', { privateKey: device.privateKey, publicKey: device.publicKey, pub: device.pub });
  await eid.stateSet('card', r.body);
  history.replaceState(null, '', '/app');
  await route();
  if (r.body.status === 'held')
    eid.status(appStatus, 'Your card is held for review: this face is close to another resident\'s. ' +
      'The authority will decide; until then the card answers no.', 'warn');
  else
    eid.status(appStatus, `Your ${r.body.level} card is ready.`, 'ok');
  return true;
}

$('#light-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = $('#light-id');
  const id = input.value.trim().toUpperCase();
  if (!eid.fieldError(input, eid.idNumberProblem(id))) return;
  busy($('#light-submit'), async () => {
    const s = await eid.call('POST', '/v1/enrolments', { level: 'lightweight' });
    if (s.status !== 201) throw new Error(eid.errorText(s));
    const r = await enrol(s.body, { id_number: id }, 'light-cam');
    if (!r && $('#light-cam-error').textContent === '') input.focus();
  });
});

let fullSession = null;

$('#full-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const mobile = $('#full-mobile'), p1 = $('#full-pass'), p2 = $('#full-pass2');
  const ok = [
    eid.fieldError(p2, p2.value === p1.value ? null : 'The two passcodes differ.'),
    eid.fieldError(p1, /^[0-9]{8}$/.test(p1.value) ? null : 'The passcode is exactly 8 digits.'),
    eid.fieldError(mobile, /^[0-9]{6,15}$/.test(mobile.value.trim()) ? null : 'A mobile number is 6 to 15 digits.'),
  ].every(Boolean);
  if (!ok) return;
  busy($('#full-submit'), async () => {
    await enrol(fullSession, { mobile: mobile.value.trim(), passcode: p1.value }, 'full-cam');
    p1.value = p2.value = '';
  });
});

// ---- verification ------------------------------------------------------------

let request = null;
let finish = false; // the request came from a sign-in page: go back to it after

// Back to the OpenID Provider, which sends the browser on to the service.
function backToService(declined) {
  const sid = encodeURIComponent(request.sid);
  setTimeout(() => { location.href = `/oidc/finish/${sid}${declined ? '?declined=1' : ''}`; }, 1200);
}

$('#consent-yes').addEventListener('click', async () => {
  $('#verify-for').textContent = `For ${request.rp.name}: ${request.purpose}`;
  $('#verify-pass-box').hidden = request.level !== 'full';
  await view('verify', 'verify-cam');
});

$('#consent-no').addEventListener('click', async () => {
  history.replaceState(null, '', '/app');
  await outcome('Declined', '', 'You declined. Nothing was sent: the party that asked gets no answer.');
  if (finish) backToService(true);
  request = null;
});

$('#verify-cancel').addEventListener('click', () => $('#consent-no').click());

$('#verify-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const pass = $('#verify-pass');
  if (request.level === 'full' && !eid.fieldError(pass, /^[0-9]{8}$/.test(pass.value) ? null : 'The passcode is exactly 8 digits.')) return;
  busy($('#verify-submit'), async () => {
    const device = await eid.stateGet('device'), card = await eid.stateGet('card');
    const capture = { card_id: card.card_id, photo: eid.b64url(await camera('verify-cam').capture()) };
    if (request.level === 'full') {
      capture.frames = await challengeFrames(request.sid, 'verify-cam');
      capture.passcode = pass.value;
    }
    const ad = `v1|verify|${request.sid}|${request.nonce}|${request.exp}|${request.rp.id}|${request.level}`;
    const body = await eid.sealAndSign(device.privateKey, ad, capture);
    pass.value = '';
    const r = await eid.call('POST', `/v1/requests/${encodeURIComponent(request.sid)}`, body);
    if (r.status !== 201) { showRefusal(r, r.status === 422 ? 'verify-cam' : null); return; }
    const check = await eid.verifyAuthority(r.body);
    history.replaceState(null, '', '/app');
    if (!check.ok) return outcome('Not verified', 'bad', 'The answer is not signed by the authority: ' + check.reason);
    if (r.body.result === 'yes')
      await outcome('Verified', 'ok', `${request.rp.name} has been told: yes, at the ${r.body.level} level.`);
    else
      await outcome('Not verified', 'bad', `${request.rp.name} has been told: no. The face did not match` +
        (request.level === 'full' ? ', the passcode was wrong,' : '') + ' or the card does not reach this level.');
    if (finish) {
      $('#outcome-text').textContent += ` Returning to ${request.rp.name}…`;
      backToService(false);
    }
  });
});

async function outcome(title, kind, text) {
  $('#outcome-title').textContent = title;
  $('#outcome-result').textContent = title;
  $('#outcome-result').dataset.kind = kind;
  $('#outcome-text').textContent = text;
  await view('outcome');
}

$('#outcome-home').addEventListener('click', () => route());

// ---- the card ------------------------------------------------------------------

$('#show-history').addEventListener('click', () => busy($('#show-history'), async () => {
  const device = await eid.stateGet('device'), card = await eid.stateGet('card');
  const r = await eid.call('POST', '/v1/history', await eid.deviceRequest(device.privateKey, 'history', card.card_id));
  if (r.status !== 200) throw new Error(eid.errorText(r));
  const rows = $('#history-rows');
  rows.replaceChildren();
  for (const v of r.body.verifications) {
    const tr = document.createElement('tr');
    for (const t of [eid.fmtTime(v.time), v.rp.name, v.purpose, `${v.result} (${v.level})`]) {
      const td = document.createElement('td');
      td.textContent = t;
      tr.append(td);
    }
    rows.append(tr);
  }
  if (!r.body.verifications.length) {
    const tr = document.createElement('tr'), td = document.createElement('td');
    td.colSpan = 4;
    td.textContent = 'No checks yet.';
    tr.append(td);
    rows.append(tr);
  }
  await view('history');
}));

$('#history-back').addEventListener('click', () => route());

$('#revoke').addEventListener('click', () => busy($('#revoke'), async () => {
  if (!confirm('Revoke the card on this device? It stops working at once, for good.')) return;
  const device = await eid.stateGet('device'), card = await eid.stateGet('card');
  const r = await eid.call('POST', '/v1/revoke', await eid.deviceRequest(device.privateKey, 'revoke', card.card_id));
  if (r.status !== 200) throw new Error(eid.errorText(r));
  await eid.stateSet('card', undefined);
  await eid.stateSet('device', undefined);
  await route();
  eid.status(appStatus, 'The card on this device is revoked. Enrol again to get a new one.', 'ok');
}));

// ---- routing: #enrol=QR, #verify=QR, else the card or the enrolment form ----------

async function signedPayload(qr, type) {
  let p;
  try { p = eid.payload(qr); } catch { throw new Error('This link is damaged: scan the QR code again.'); }
  if (p.type !== type) throw new Error('This QR code is not for this step.');
  const check = await eid.verifyPlatform(p);
  if (!check.ok) throw new Error('This QR code was not made by this platform: ' + check.reason);
  if (p.exp < Date.now()) throw new Error('This QR code has expired: ask for a new one.');
  return p;
}

async function route() {
  eid.status(appStatus, '');
  const hash = location.hash.slice(1);
  const card = await eid.stateGet('card');
  try {
    if (hash.startsWith('enrol=')) {
      fullSession = await signedPayload(hash.slice(6), 'enrol');
      return await view('enrol-full', 'full-cam');
    }
    if (hash.startsWith('verify=')) {
      finish = hash.endsWith('&then=finish');
      const p = await signedPayload(hash.slice(7).replace(/&then=finish$/, ''), 'verify');
      if (!card) throw new Error('You have no card on this device yet: enrol first.');
      const r = await eid.call('GET', `/v1/requests/${encodeURIComponent(p.sid)}`);
      if (r.status !== 200) throw new Error(eid.errorText(r));
      if (r.body.nonce !== p.nonce) throw new Error('This QR code does not match the request.');
      request = r.body;
      $('#consent-title').textContent = `${request.rp.name} asks to verify you`;
      $('#consent-rp').textContent = request.rp.name;
      $('#consent-purpose').textContent = request.purpose;
      $('#consent-level').textContent = request.level === 'full'
        ? 'full (your face and your passcode)' : 'lightweight (your face)';
      $('#consent-exp').textContent = eid.fmtTime(request.exp);
      return await view('consent');
    }
  } catch (e) {
    history.replaceState(null, '', '/app');
    await route();
    eid.status(appStatus, e.message, 'bad');
    return;
  }
  if (card) {
    $('#card-level').textContent = card.level + (card.status === 'held' ? ' (held for review by the authority)' : '');
    $('#card-id').textContent = card.card_id;
    $('#card-iat').textContent = eid.fmtTime(card.iat);
    $('#card-exp').textContent = eid.fmtTime(card.exp);
    $('#card-kid').textContent = card.device_kid;
    return view('card');
  }
  return view('home', 'light-cam');
}

window.addEventListener('hashchange', route);
route();
