// The sign-in page of the OpenID Provider: a service sent the browser here
// (/oidc/authorize). The resident answers in the eid app, on this device or
// on a phone scanning the QR code; when the answer is in, the browser goes
// back to the service through /oidc/finish.
import * as eid from '/common/eid.js';

const $ = eid.$;
let poll = null;

function fail(text) {
  clearInterval(poll);
  $('#failed-text').textContent = text;
  eid.show('failed');
}

async function main() {
  const hash = location.hash.slice(1);
  if (hash.startsWith('error=')) return fail(decodeURIComponent(hash.slice(6).replace(/\+/g, ' ')));
  let p;
  try { p = eid.payload(hash); } catch { return fail('This sign-in link is damaged.'); }
  const check = await eid.verifyPlatform(p);
  if (p.type !== 'verify' || !check.ok) return fail('This sign-in link was not made by this platform.');
  const r = await eid.call('GET', `/v1/requests/${encodeURIComponent(p.sid)}`);
  if (r.status !== 200) return fail(eid.errorText(r));
  $('#ask-title').textContent = `Sign in to ${r.body.rp.name}`;
  $('#ask-rp').textContent = r.body.rp.name;
  $('#ask-level').textContent = r.body.level === 'full' ? 'full (your face and your passcode)' : 'lightweight (your face)';
  $('#ask-exp').textContent = eid.fmtTime(r.body.exp);
  eid.qrImage($('#ask-qr'), eid.appLink('verify', hash));
  $('#ask-here').addEventListener('click', () => {
    location.href = `/app#verify=${hash}&then=finish`;
  });
  eid.show('ask');
  poll = setInterval(async () => {
    const s = await eid.call('GET', `/oidc/sessions/${encodeURIComponent(p.sid)}`);
    if (s.status === 200 && s.body.state !== 'pending') {
      clearInterval(poll);
      $('#ask-state').textContent = 'Answered: returning to the service…';
      location.href = `/oidc/finish/${encodeURIComponent(p.sid)}`;
    } else if (s.status !== 200 && s.status !== 0) {
      fail(eid.errorText(s));
    }
  }, 1000);
}

main();
