// The relying party's front desk: creates a verification request, shows its
// QR link, and shows the authority's signed answer as soon as it arrives,
// with the signature checked here against the authority's published keys.
import * as eid from '/common/eid.js';

const $ = eid.$;
const statusLine = $('#desk-status');
let poll = null;

const credential = () => sessionStorage.getItem('eid-rp-credential');
const asRp = (method, path, body) =>
  eid.call(method, path, body, { Authorization: 'Bearer ' + credential() });

$('#signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('#signin-cred');
  const cred = input.value.trim();
  if (!eid.fieldError(input, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(cred) ? null : 'A credential looks like ID.SECRET.')) return;
  sessionStorage.setItem('eid-rp-credential', cred);
  // an unknown request id: 404 for a good credential, 401 for a bad one
  const r = await asRp('GET', '/v1/verifications/signin-check');
  if (r.status === 401) {
    sessionStorage.removeItem('eid-rp-credential');
    eid.fieldError(input, 'This credential is not valid.');
    return;
  }
  input.value = '';
  eid.show('ask');
});

$('#signout').addEventListener('click', () => {
  sessionStorage.removeItem('eid-rp-credential');
  eid.show('signin');
});

$('#ask-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const purpose = $('#ask-purpose'), level = $('#ask-level');
  if (!eid.fieldError(purpose, purpose.value.trim() ? null : 'Say why you ask: the guest sees it.')) return;
  eid.status(statusLine, '');
  const r = await asRp('POST', '/v1/verifications', { purpose: purpose.value.trim(), level: level.value });
  if (r.status === 403) { eid.fieldError(level, eid.errorText(r)); return; }
  if (r.status === 400) { eid.fieldError(purpose, eid.errorText(r)); return; }
  if (r.status !== 201) { eid.status(statusLine, eid.errorText(r), 'bad'); return; }
  eid.fieldError(level, null);
  const link = eid.appLink('verify', r.body.qr);
  eid.qrImage($('#wait-qr'), link);
  $('#wait-qr').hidden = false;
  $('#wait-link').href = link;
  $('#wait-purpose').textContent = purpose.value.trim();
  $('#wait-level').textContent = level.value;
  $('#wait-sid').textContent = r.body.sid;
  $('#wait-exp').textContent = eid.fmtTime(r.body.exp);
  for (const id of ['wait-sub', 'wait-iat', 'wait-sig']) $('#' + id).textContent = '—';
  setResult('Waiting for the guest…', '');
  eid.show('wait');
  watch(r.body.sid);
});

function setResult(text, kind) {
  $('#wait-result').textContent = text;
  $('#wait-result').dataset.kind = kind;
}

async function shown(result) {
  const check = await eid.verifyAuthority(result);
  $('#wait-sig').textContent = check.ok
    ? `valid: signed by the authority (key ${check.kid})`
    : `INVALID: ${check.reason}`;
  $('#wait-sig').dataset.kind = check.ok ? 'ok' : 'bad';
  $('#wait-iat').textContent = eid.fmtTime(result.iat);
  $('#wait-sub').textContent = result.sub || '—';
  if (!check.ok) return setResult('Do not trust this answer', 'bad');
  if (result.result === 'yes') setResult(`Verified (${result.level})`, 'ok');
  else setResult('Not verified', 'bad');
}

function watch(sid) {
  clearInterval(poll);
  poll = setInterval(async () => {
    const r = await asRp('GET', `/v1/verifications/${encodeURIComponent(sid)}`);
    if (r.status !== 200) return;
    if (r.body.state === 'answered') {
      clearInterval(poll);
      $('#wait-qr').hidden = true; // answered: the code is spent
      await shown(r.body.result);
    } else if (r.body.state === 'expired') {
      clearInterval(poll);
      setResult('Expired: no answer in time', 'bad');
    }
  }, 1000);
}

$('#wait-next').addEventListener('click', () => {
  clearInterval(poll);
  eid.show('ask');
});

eid.show(credential() ? 'ask' : 'signin');
