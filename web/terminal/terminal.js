// The trusted terminal at a police counter: its key (WebCrypto Ed25519,
// non-extractable) signs every request; the officer types the ID number,
// which is sealed to the authority as the claim, and shows the QR link the
// resident's app opens; the outcome arrives when the app has enrolled.
import * as eid from '/common/eid.js';

const $ = eid.$;
const statusLine = $('#term-status');
let key = null, term = null, poll = null;

async function signed(path, body) {
  const obj = await eid.signObject(key, { ...body, term_id: term.term_id, officer: term.officer, ts: Date.now() });
  return eid.call('POST', path, obj);
}

$('#signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('#signin-id'), badge = $('#signin-officer');
  const id = input.value.trim(), officer = badge.value.trim();
  const ok = [
    eid.fieldError(badge, /^[A-Za-z0-9-]{1,32}$/.test(officer) ? null : 'Your badge number: letters, digits and -.'),
    eid.fieldError(input, id ? null : 'Type the terminal ID the administrator gave you.'),
  ].every(Boolean);
  if (!ok) return;
  term = { term_id: id, officer };
  const r = await signed('/v1/terminal/signin', {});
  if (r.status !== 200) {
    term = null;
    eid.fieldError(input, r.status === 403 ? 'This browser\'s key is not registered for that terminal ID (or the terminal is inactive).' : eid.errorText(r));
    return;
  }
  term = { term_id: r.body.term_id, name: r.body.name, officer };
  await eid.stateSet('terminal', term);
  signedIn();
});

function signedIn() {
  $('#term-who').textContent = `Officer ${term.officer} at ${term.name} (terminal ${term.term_id})`;
  eid.show('start');
}

$('#signout').addEventListener('click', async () => {
  await eid.stateSet('terminal', undefined);
  term = null;
  $('#term-who').textContent = 'Full enrolment at the counter';
  eid.show('signin');
});

$('#start-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('#start-id');
  const id = input.value.trim().toUpperCase();
  if (!eid.fieldError(input, eid.idNumberProblem(id))) return;
  $('#start-submit').disabled = true;
  eid.status(statusLine, '');
  try {
    const s = await signed('/v1/terminal/enrolments', {});
    if (s.status !== 201) throw new Error(eid.errorText(s));
    const ad = `v1|claim|${s.body.sid}|${s.body.nonce}|${s.body.exp}`;
    const claim = await eid.sealText(s.body.authority_seal.x, ad, JSON.stringify({ id_number: id }));
    const c = await signed(`/v1/terminal/enrolments/${encodeURIComponent(s.body.sid)}/claim`, { claim });
    if (c.status !== 201) throw new Error(eid.errorText(c));
    input.value = '';
    const link = eid.appLink('enrol', c.body.qr);
    eid.qrImage($('#qr-img'), link);
    $('#qr-img').hidden = false;
    $('#qr-link').href = link;
    setState('Waiting for the resident…', '');
    eid.show('qr');
    watch(s.body.sid);
  } catch (e) {
    eid.status(statusLine, e.message, 'bad');
  } finally {
    $('#start-submit').disabled = false;
  }
});

function setState(text, kind) {
  $('#qr-state').textContent = text;
  $('#qr-state').dataset.kind = kind;
}

const OUTCOME = {
  enrolled: ['Enrolled: the resident has a full card.', 'ok'],
  refused: ['Refused: the face does not match the register photo.', 'bad'],
  expired: ['Expired: nobody enrolled in time. Start again.', 'bad'],
};

function watch(sid) {
  clearInterval(poll);
  poll = setInterval(async () => {
    const r = await signed(`/v1/terminal/enrolments/${encodeURIComponent(sid)}/state`, {});
    if (r.status !== 200) return;
    const o = OUTCOME[r.body.state];
    if (o) {
      clearInterval(poll);
      $('#qr-img').hidden = true; // the session is over: its code is spent
      setState(...o);
    }
  }, 1000);
}

$('#qr-next').addEventListener('click', () => {
  clearInterval(poll);
  eid.show('start');
});

async function main() {
  key = await eid.stateGet('terminal-key');
  if (!key) {
    key = await eid.newKeyPair();
    await eid.stateSet('terminal-key', key);
  }
  $('#term-command').textContent = `eid platform add-terminal --name "Counter 1" --key ${key.pub}`;
  term = await eid.stateGet('terminal');
  if (term) signedIn();
  else eid.show('signin');
}

main();
