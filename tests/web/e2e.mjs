// End-to-end tests of the web pages: `eid serve` on loopback, headless
// Chromium (Debian's) driven by playwright-core, each phone's camera fed by
// Chromium's fake capture device from a real face photo of the dev set
// (../shared/faces/dev, ORL) turned into a .y4m clip with ffmpeg.
//
//   node tests/web/e2e.mjs [--screenshots DIR]     (from the repository root)
//
// Scenarios: an impostor refused at the terminal; full enrolment through the
// terminal and app pages; lightweight enrolment; a verified check-in at the
// hotel desk; consent declined; history; revoking a device; the admin page.
// Every page is also checked at 390x844 and 1280x800 (no sideways scrolling),
// with the keyboard, for requests to other hosts, and every request body
// the pages send is checked for photos, ID numbers and passcodes in clear.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import jsQR from 'jsqr';
import { oidcScenarios } from './oidc.mjs';
import pngjs from 'pngjs';

const { PNG } = pngjs;

const root = resolve(new URL('../..', import.meta.url).pathname);
const EID = join(root, process.env.BUILD || 'build', 'eid');
const SHARED = resolve(process.env.EID_SHARED || join(root, '..', 'shared'));
const ORL = join(SHARED, 'faces/dev/images/orl');
const CHROMIUM = process.env.CHROMIUM || '/usr/lib/chromium/chromium';
const shotsArg = process.argv.indexOf('--screenshots');
const SHOTS = resolve(shotsArg > 0 ? process.argv[shotsArg + 1] : join(root, 'build/screenshots'));

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 800 } };

// two invented residents (check characters right, GB 11643) and their photos
const A = { id: '440106199001011235', register: 's1/s1_01', camera: 's1/s1_02', passcode: '58203174', mobile: '13800138000' };
const B = { id: '440106198512312449', register: 's3/s3_03', camera: 's3/s3_01' };
const IMPOSTOR = { camera: 's5/s5_01' };

// GB 11643: the check character of an ID number's first 17 digits
function checkChar(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * w[i];
  return '10X98765432'[sum % 11];
}

let pass = 0, fail = 0;
function ok(name, cond, detail = '') {
  if (cond) pass++;
  else { fail++; console.error(`  FAIL: ${name}${detail ? ' — ' + detail : ''}`); }
}

const tmp = mkdtempSync(join(tmpdir(), 'eid-web-'));
let server = null;
const browsers = [];

function cleanup() {
  if (server) server.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}

// A still photo as a camera: scaled up, on a grey background, 640x480.
function cameraClip(photo) {
  const out = join(tmp, photo.replace('/', '_') + '.y4m');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', join(ORL, photo + '.png'),
    '-vf', 'scale=322:392:flags=bicubic,pad=640:480:159:44:color=0x707070,format=yuv420p',
    '-frames:v', '10', '-r', '10', out]);
  return out;
}

function eid(...args) {
  return execFileSync(EID, args, { encoding: 'utf8', env: { ...process.env, EID_MODELS: join(root, 'models') } });
}

async function startServer(data) {
  server = spawn(EID, ['serve', '--data', data, '--authority-port', '0', '--platform-port', '0',
    '--admin-port', '0', '--web', join(root, 'web')],
  { env: { ...process.env, EID_MODELS: join(root, 'models') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stderr.on('data', () => {});
  return new Promise((resolvePromise, reject) => {
    const t = setTimeout(() => reject(new Error('eid serve did not start: ' + out)), 30000);
    server.stdout.on('data', (d) => {
      out += d;
      const p = /platform listening on (http\S+)/.exec(out), a = /admin listening on (http\S+)/.exec(out);
      if (p && a && /pages:/.test(out)) { clearTimeout(t); resolvePromise({ platform: p[1], admin: a[1] }); }
    });
    server.on('exit', (code) => reject(new Error(`eid serve exited (${code}): ${out}`)));
  });
}

async function launch(cameraFile) {
  const b = await chromium.launch({
    executablePath: CHROMIUM,
    // without a file, Chromium's fake camera shows a moving test pattern
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--no-sandbox',
      ...(cameraFile ? [`--use-file-for-fake-video-capture=${cameraFile}`] : [])],
  });
  browsers.push(b);
  return b;
}

// A page whose every request is recorded; anything not to origin (or to a
// relying party's own redirect URI, in the sign-in tests) fails.
const sent = [];
const alsoAllowed = [];
// A camera that follows the liveness challenge: a recorded clip cannot
// follow a random challenge, so the resident's phone for the full level is
// this page-side camera instead of Chromium's fake one. It shows the real
// photo of resident A posed as the app's current instruction asks (the
// data-move of its on-screen guide), on the same grey 640x480 frame.
function posedCamera(poses) {
  const imgs = {};
  for (const [k, v] of Object.entries(poses)) {
    const i = new Image();
    i.src = v;
    imgs[k] = i;
  }
  navigator.mediaDevices.getUserMedia = async () => {
    const c = document.createElement('canvas');
    c.width = 640;
    c.height = 480;
    const g = c.getContext('2d');
    const draw = () => {
      const guide = document.querySelector('.guide[data-move]');
      const img = imgs[guide ? guide.dataset.move : 'front'] || imgs.front;
      g.fillStyle = '#707070';
      g.fillRect(0, 0, 640, 480);
      if (img.complete) g.drawImage(img, 159, 44, 322, 392);
    };
    draw();
    setInterval(draw, 40);
    return c.captureStream(25);
  };
}

async function open(browser, origin, device, name, poses = null) {
  const ctx = await browser.newContext({ ...device });
  await ctx.grantPermissions(['camera'], { origin });
  if (poses) await ctx.addInitScript(posedCamera, poses);
  const page = await ctx.newPage();
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin + '/') && !url.startsWith('data:') && !url.startsWith('blob:') &&
      !alsoAllowed.some((o) => url.startsWith(o + '/')))
      ok(`${name}: no request leaves the platform`, false, url);
    sent.push({ page: name, method: r.method(), url, body: r.postData() || '' });
  });
  page.on('pageerror', (e) => ok(`${name}: no script error`, false, e.message));
  // (the browser also logs every non-2xx answer; those are asserted where expected)
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) ok(`${name}: no console error`, false, m.text());
  });
  page.on('dialog', (d) => d.accept());
  return page;
}

async function shot(page, file) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, file + '.png'), fullPage: true });
}

// The URL inside the QR code the page shows, read from its pixels.
async function readQr(page, selector) {
  const img = page.locator(selector);
  await img.waitFor({ state: 'visible' });
  await page.waitForFunction((s) => { const i = document.querySelector(s); return i.complete && i.naturalWidth > 0; }, selector);
  const shot = await img.screenshot();
  if (process.env.EID_DEBUG) writeFileSync(join(SHOTS, 'qr-debug.png'), shot);
  const png = PNG.sync.read(shot);
  const code = jsQR(png.data, png.width, png.height);
  return code ? code.data : null;
}

async function noSidewaysScroll(page, name) {
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  ok(`${name}: fits the width (${page.viewportSize().width} px)`, over <= 0, `overflow ${over}px`);
}

async function visibleText(page, selector, text, timeout = 20000) {
  try {
    await page.locator(selector).filter({ hasText: text }).first().waitFor({ state: 'visible', timeout });
    return true;
  } catch { return false; }
}

async function main() {
  for (const f of [EID, CHROMIUM]) if (!existsSync(f)) throw new Error(`missing ${f}`);
  const data = join(tmp, 'data');
  writeFileSync(join(tmp, 'register.csv'), 'id_number,name,birth_date,sex,address,photo\n' +
    `${A.id},A,1990-01-01,M,x,${join(ORL, A.register + '.png')}\n` +
    `${B.id},B,1985-12-31,F,x,${join(ORL, B.register + '.png')}\n`);
  ok('register imported', /"imported":2/.test(eid('authority', 'import', join(tmp, 'register.csv'), '--data', data)));
  const { platform, admin } = await startServer(data);

  const camA = cameraClip(A.camera), camB = cameraClip(B.camera), camX = cameraClip(IMPOSTOR.camera);
  const browserA = await launch(camA), browserB = await launch(camB), browserX = await launch(camX);

  // ---- the terminal signs in: its key is made in the browser, then registered
  const terminal = await open(browserA, platform, DESKTOP, 'terminal');
  await terminal.goto(platform + '/terminal');
  await terminal.locator('#signin').waitFor({ state: 'visible' });
  await shot(terminal, 'terminal-signin');
  const command = await terminal.locator('#term-command').textContent();
  const pub = /--key (\S+)/.exec(command)[1];
  await terminal.fill('#signin-id', 'not-a-terminal');
  await terminal.press('#signin-id', 'Enter');
  ok('terminal: a missing badge number is shown next to the field',
    await visibleText(terminal, '#signin-officer-error', 'badge number'));
  await terminal.fill('#signin-officer', 'GZ-0421');
  await terminal.press('#signin-officer', 'Enter');
  ok('terminal: an unknown terminal ID is refused next to the field',
    await visibleText(terminal, '#signin-id-error', 'not registered'));
  const termId = JSON.parse(eid('platform', 'add-terminal', '--name', 'Tianhe police counter 3', '--key', pub, '--data', data)).terminal_id;
  await terminal.fill('#signin-id', termId);
  await terminal.press('#signin-id', 'Enter');
  ok('terminal: signed in', await visibleText(terminal, '#term-who', 'Officer GZ-0421 at Tianhe police counter 3'));
  await terminal.fill('#start-id', '440106199001011234');
  await terminal.click('#start-submit');
  ok('terminal: a mistyped ID number is shown next to the field',
    await visibleText(terminal, '#start-id-error', 'typing error'));
  await shot(terminal, 'terminal-start');

  // ---- an impostor tries A's full enrolment with their own face: refused
  const fullEnrolment = async (phoneBrowser, name, poses = null) => {
    await terminal.fill('#start-id', A.id);
    await terminal.click('#start-submit');
    const url = await readQr(terminal, '#qr-img');
    ok(`${name}: the terminal's QR holds an app link`, url && url.startsWith(platform + '/app#enrol='), url);
    const phone = await open(phoneBrowser, platform, PHONE, name, poses);
    await phone.goto(url);
    await phone.locator('#enrol-full').waitFor({ state: 'visible' });
    await phone.fill('#full-mobile', A.mobile);
    await phone.fill('#full-pass', A.passcode);
    await phone.fill('#full-pass2', A.passcode);
    await phone.waitForFunction(() => document.querySelector('#full-cam video').videoWidth > 0);
    return phone;
  };
  const impostor = await fullEnrolment(browserX, 'impostor');
  await impostor.click('#full-submit');
  ok('impostor: the app says the face does not match, next to the camera',
    await visibleText(impostor, '#full-cam-error', 'does not match'));
  ok('impostor: the terminal shows the refusal', await visibleText(terminal, '#qr-state', 'Refused'));
  ok('impostor: no card kept', await impostor.evaluate(async () => (await import('/common/eid.js')).stateGet('card')) === undefined);
  await shot(terminal, 'terminal-refused');
  await terminal.click('#qr-next');

  // ---- full enrolment of A through the terminal and the app
  const pose = (f) => 'data:image/png;base64,' + readFileSync(join(ORL, 's1', f + '.png')).toString('base64');
  const posesA = { front: pose('s1_08'), left: pose('s1_02'), right: pose('s1_04'), up: pose('s1_09'), down: pose('s1_03') };
  const phoneA = await fullEnrolment(browserA, 'resident A', posesA);
  await shot(phoneA, 'app-enrol-full');
  await shot(terminal, 'terminal-qr');
  // form errors next to their fields first
  await phoneA.fill('#full-pass2', '12345678');
  await phoneA.click('#full-submit');
  ok('app: different passcodes shown next to the field', await visibleText(phoneA, '#full-pass2-error', 'differ'));
  await phoneA.fill('#full-pass2', A.passcode);
  await phoneA.click('#full-submit');
  ok('app: full card issued', await visibleText(phoneA, '#card-level', 'full', 60000));
  ok('terminal: shows the enrolment', await visibleText(terminal, '#qr-state', 'Enrolled'));
  await shot(phoneA, 'app-card');
  await shot(terminal, 'terminal-enrolled');
  const keyInfo = await phoneA.evaluate(async () => {
    const d = await (await import('/common/eid.js')).stateGet('device');
    let exported = true;
    try { await crypto.subtle.exportKey('pkcs8', d.privateKey); } catch { exported = false; }
    return { extractable: d.privateKey.extractable, exported, type: d.privateKey.algorithm.name };
  });
  ok('app: the device key is a non-extractable Ed25519 CryptoKey',
    keyInfo.type === 'Ed25519' && !keyInfo.extractable && !keyInfo.exported, JSON.stringify(keyInfo));

  // ---- lightweight enrolment of B in the app alone, with the keyboard
  const phoneB = await open(browserB, platform, PHONE, 'resident B');
  await phoneB.goto(platform + '/app');
  await phoneB.locator('#home').waitFor({ state: 'visible' });
  await phoneB.waitForFunction(() => document.querySelector('#light-cam video').videoWidth > 0);
  ok('app: the face engine\'s guidance says the capture is good',
    await visibleText(phoneB, '#light-cam .guide', 'Good: keep still'));
  await shot(phoneB, 'app-home');
  await phoneB.keyboard.press('Tab');
  ok('app: the keyboard reaches the ID number first', await phoneB.evaluate(() => document.activeElement.id) === 'light-id');
  await phoneB.keyboard.type('12345');
  await phoneB.keyboard.press('Enter');
  ok('app: a short ID number is shown next to the field', await visibleText(phoneB, '#light-id-error', '18 characters'));
  ok('app: the field is marked invalid', await phoneB.getAttribute('#light-id', 'aria-invalid') === 'true');
  await shot(phoneB, 'app-home-error');
  await phoneB.fill('#light-id', B.id);
  await phoneB.keyboard.press('Enter');
  ok('app: lightweight card issued', await visibleText(phoneB, '#card-level', 'lightweight', 60000));

  // ---- guidance with no face in view (Chromium's test pattern as the camera)
  const browserN = await launch(null);
  const nobody = await open(browserN, platform, PHONE, 'no face');
  await nobody.goto(platform + '/app');
  ok('app: with no face in view the guidance says so', await visibleText(nobody, '#light-cam .guide', 'No face found'));
  await shot(nobody, 'app-guidance');
  await nobody.fill('#light-id', B.id);
  await nobody.click('#light-submit');
  ok('app: no face refused, the advice next to the camera', await visibleText(nobody, '#light-cam-error', 'No face found'));

  // ---- the hotel desk: sign in, ask, and see the signed answer arrive
  const desk = await open(browserA, platform, DESKTOP, 'desk');
  const cred = JSON.parse(eid('platform', 'add-rp', '--name', 'Hotel Canton', '--level', 'full', '--data', data)).credential;
  await desk.goto(platform + '/desk');
  await desk.locator('#signin').waitFor({ state: 'visible' });
  await desk.fill('#signin-cred', 'AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB');
  await desk.press('#signin-cred', 'Enter');
  ok('desk: a wrong credential is shown next to the field', await visibleText(desk, '#signin-cred-error', 'not valid'));
  await shot(desk, 'desk-signin');
  await desk.fill('#signin-cred', cred);
  await desk.press('#signin-cred', 'Enter');
  await desk.locator('#ask').waitFor({ state: 'visible' });
  await desk.fill('#ask-purpose', '');
  await desk.click('#ask-submit');
  ok('desk: an empty purpose is shown next to the field', await visibleText(desk, '#ask-purpose-error', 'Say why'));
  await desk.fill('#ask-purpose', 'Check-in, room 1208');
  await desk.selectOption('#ask-level', 'full');
  await shot(desk, 'desk-ask');

  const ask = async () => {
    await desk.click('#ask-submit');
    const url = await readQr(desk, '#wait-qr');
    ok('desk: the QR holds an app link', url && url.startsWith(platform + '/app#verify='), url);
    return url;
  };
  let url = await ask();
  await shot(desk, 'desk-waiting');
  await phoneA.goto(url);
  ok('app: the consent screen names who asks and why',
    await visibleText(phoneA, '#consent-title', 'Hotel Canton asks') && await visibleText(phoneA, '#consent-purpose', 'room 1208'));
  await shot(phoneA, 'app-consent');
  await phoneA.click('#consent-yes');
  await phoneA.locator('#verify').waitFor({ state: 'visible' });
  await phoneA.waitForFunction(() => document.querySelector('#verify-cam video').videoWidth > 0);
  await phoneA.click('#verify-submit');
  ok('app: a missing passcode is shown next to the field', await visibleText(phoneA, '#verify-pass-error', '8 digits'));
  await phoneA.fill('#verify-pass', A.passcode);
  await shot(phoneA, 'app-verify');
  await phoneA.click('#verify-submit');
  // the liveness challenge: the app says which way to move, the camera follows
  await phoneA.waitForFunction(() => {
    const g = document.querySelector('#verify-cam .guide[data-move]');
    return g && g.dataset.move !== 'front';
  }, null, { timeout: 20000 });
  ok('app: the challenge tells the resident how to move',
    /Slowly (turn|tilt) your head/.test(await phoneA.textContent('#verify-cam .guide')));
  await shot(phoneA, 'app-challenge');
  ok('app: verified', await visibleText(phoneA, '#outcome-result', 'Verified', 60000));
  await shot(phoneA, 'app-verified');
  ok('desk: the answer arrives, verified', await visibleText(desk, '#wait-result', 'Verified (full)'));
  ok('desk: the signature is checked', await visibleText(desk, '#wait-sig', 'valid: signed by the authority'));
  ok('desk: a pseudonym, not a name', (await desk.textContent('#wait-sub')).length > 20);
  await shot(desk, 'desk-verified');

  // ---- consent declined: nothing is sent, the desk keeps waiting
  await desk.click('#wait-next');
  url = await ask();
  const before = sent.length;
  await phoneA.goto(url);
  await phoneA.locator('#consent').waitFor({ state: 'visible' });
  await phoneA.click('#consent-no');
  ok('app: declined', await visibleText(phoneA, '#outcome-result', 'Declined'));
  await shot(phoneA, 'app-declined');
  await desk.waitForTimeout(2500);
  ok('declined: the app sent no capture',
    !sent.slice(before).some((r) => r.page === 'resident A' && r.method === 'POST'));
  ok('declined: the desk is still waiting', await visibleText(desk, '#wait-result', 'Waiting'));

  // ---- history, then revoking B's device
  await phoneA.click('#outcome-home');
  await phoneA.click('#show-history');
  ok('app: history lists the hotel check-in', await visibleText(phoneA, '#history-rows', 'Hotel Canton'));
  await shot(phoneA, 'app-history');
  await phoneB.click('#revoke');
  ok('app: revoking the device', await visibleText(phoneB, '#app-status', 'revoked'));

  // ---- "sign in with eid": an OpenID Connect library through these pages
  await oidcScenarios({
    ok, platform, data, tmp, eid, browser: browserA, phone: phoneA, open, shot, readQr, visibleText, DESKTOP,
    allow: (o) => alsoAllowed.push(o),
  });

  // ---- the admin page
  const token = JSON.parse(eid('authority', 'admin-token', '--data', data)).admin_token;
  const adminPage = await open(browserA, admin, DESKTOP, 'admin');
  await adminPage.goto(admin + '/admin');
  await shot(adminPage, 'admin-signin');
  await adminPage.fill('#signin-token', 'wrong-token');
  await adminPage.keyboard.press('Enter');
  ok('admin: a malformed token is shown next to the field',
    await visibleText(adminPage, '#signin-token-error', '43 characters'));
  await adminPage.fill('#signin-token', 'A'.repeat(43));
  await adminPage.keyboard.press('Enter');
  ok('admin: a wrong token is shown next to the field',
    await visibleText(adminPage, '#signin-token-error', 'not the current admin token'));
  await adminPage.fill('#signin-token', token);
  await adminPage.keyboard.press('Enter');
  ok('admin: the overview shows the register', await visibleText(adminPage, '#overview-grid', 'persons in the register', 20000));
  ok('admin: the refused enrolment is counted', await visibleText(adminPage, '#overview-grid', 'enrolments refused'));
  // a register upload: one good row, one with a bad check character
  const C = '110101200001011237'.slice(0, 17);
  const goodId = C + checkChar(C);
  const badId = goodId.slice(0, 17) + (goodId[17] === '0' ? '1' : '0');
  // a third row: resident A's face again, under another (valid) ID number
  const dupFirst = '11010119950505123';
  const dupId = dupFirst + checkChar(dupFirst);
  const csv = join(tmp, 'upload.csv');
  writeFileSync(csv, `id_number,name,birth_date,sex,address,photo\n${goodId},C,2000-01-01,M,x,s4_01.png\n${badId},D,2000-01-01,M,x,s6_01.png\n${dupId},E,1995-05-05,M,x,s1_03.png\n`);
  await adminPage.setInputFiles('#import-csv', csv);
  await adminPage.setInputFiles('#import-photos', [join(ORL, 's4/s4_01.png'), join(ORL, 's6/s6_01.png'),
    join(ORL, 's1/s1_03.png')]);
  await adminPage.click('#import-submit');
  ok('admin: the upload imports the good row', await visibleText(adminPage, '#import-summary', '1 imported', 60000),
    await adminPage.textContent('#import-result'));
  // line 3 of the upload (after the header and the good row), with its reason
  ok('admin: the bad row is reported by line', await adminPage.evaluate(() =>
    [...document.querySelectorAll('#import-errors tr')].some((tr) =>
      tr.cells[0] && tr.cells[0].textContent.trim() === '3' && /check character/.test(tr.textContent))));
  ok('admin: the bad row is held', await visibleText(adminPage, '#held-table', 'check'));
  ok('admin: the second face of resident A is held as a duplicate', await visibleText(adminPage, '#held-table', 'duplicate'));
  const reason = adminPage.locator('#held-table input[id^="reason-"]').first();
  await adminPage.locator('#held-table button', { hasText: 'Reject' }).first().click();
  ok('admin: a decision without a reason is shown next to the field',
    await visibleText(adminPage, '#held-table .field-error', 'Give a reason'));
  await shot(adminPage, 'admin-duplicate');
  await reason.fill('Same face as a registered resident; the second record is refused');
  await adminPage.locator('#held-table button', { hasText: 'Reject' }).first().click();
  ok('admin: the duplicate is rejected', await visibleText(adminPage, '#admin-status', 'rejected'));
  await shot(adminPage, 'admin-overview');

  // ---- every page at both sizes, and keyboard focus visible
  for (const [origin, path, name] of [[platform, '/app', 'app'], [platform, '/terminal', 'terminal'],
    [platform, '/desk', 'desk'], [platform, '/', 'index'], [admin, '/admin', 'admin']]) {
    for (const device of [PHONE, DESKTOP]) {
      const p = await open(browserB, origin, device, name + ' layout');
      await p.goto(origin + path);
      await p.waitForLoadState('networkidle');
      await noSidewaysScroll(p, name);
      if (device === PHONE && name !== 'app') await shot(p, `${name}-phone`);
      await p.close();
    }
  }

  // ---- what the pages sent: no photo, ID number or passcode in clear
  // (the admin console uploads the register to the authority itself: not checked here)
  const posts = sent.filter((r) => r.method === 'POST' && r.url.startsWith(platform + '/'));
  ok('requests recorded', posts.length > 10, String(posts.length));
  // Every member of every body: no key that names personal data, no value
  // that is a JPEG or PNG (base64 of their magic bytes) or holds an ID
  // number, passcode or mobile number. Sealed blobs are random base64url,
  // so only their start is checked (a digit run inside one means nothing).
  const secrets = [A.id, B.id, A.passcode, A.mobile];
  const leaks = (v, key) => {
    const found = [];
    if (['photo', 'id_number', 'passcode', 'mobile', 'new_passcode'].includes(key)) found.push(`key ${key}`);
    if (typeof v === 'string') {
      if (/^(\/9j\/|_9j_|iVBOR)/.test(v)) found.push(`${key}: an image`);
      const blob = v.length >= 200 && /^[A-Za-z0-9_-]+$/.test(v);
      if (!blob) for (const x of secrets) if (v.includes(x)) found.push(`${key}: personal data`);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) found.push(...leaks(x, k));
    }
    return found;
  };
  for (const r of posts) {
    let clear;
    try { clear = leaks(JSON.parse(r.body || '{}'), ''); } catch { clear = ['not JSON']; }
    ok(`${r.page} ${new URL(r.url).pathname}: nothing in clear`, clear.length === 0, clear.join(','));
  }
  const captures = posts.filter((r) => /\/v1\/(enrolments|requests)\/[^/]+$/.test(new URL(r.url).pathname));
  ok('captures were sealed', captures.length >= 4 && captures.every((r) => /^\{"sealed":"[A-Za-z0-9_-]{2000,}","device_sig":"[A-Za-z0-9_-]{86}"\}$/.test(r.body)),
    String(captures.length));
}

main()
  .catch((e) => { fail++; console.error('  FAIL: ' + (e.stack || e)); })
  .finally(async () => {
    for (const b of browsers) await b.close().catch(() => {});
    cleanup();
    console.log(`web: ${pass} passed, ${fail} failed (screenshots in ${SHOTS})`);
    process.exit(fail ? 1 : 0);
  });
