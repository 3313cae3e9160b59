// eid.js — what every page shares: base64url, canonical JSON, calls to the
// platform, the device key (WebCrypto Ed25519, non-extractable, kept in
// IndexedDB), sealing to the authority (libsodium), signature checks, forms.
// The byte formats are those of docs/crypto.md; the C code is the reference.
import sodium from '/vendor/libsodium-wrappers.mjs';

const enc = new TextEncoder();

export function b64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function unb64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// The signed bytes of an object: compact JSON, keys sorted at every depth,
// without the top-level "sig" (jansson's JSON_COMPACT | JSON_SORT_KEYS).
export function canonical(value, top = true) {
  if (Array.isArray(value)) return '[' + value.map((v) => canonical(v, false)).join(',') + ']';
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => !(top && k === 'sig')).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonical(value[k], false)).join(',') + '}';
  }
  return JSON.stringify(value);
}

export function randomId() {
  return b64url(crypto.getRandomValues(new Uint8Array(16)));
}

// A call to this origin (the platform). Answers {status, body}; a network
// failure is {status: 0}.
export async function call(method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  try {
    const r = await fetch(path, init);
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return { status: r.status, body: json };
  } catch {
    return { status: 0, body: { error: { code: 'network', message: 'the platform did not answer' } } };
  }
}

export function errorText(r) {
  return (r.body && r.body.error && r.body.error.message) || `error ${r.status}`;
}

// ---- keys -----------------------------------------------------------------

let keysCache = null;
export async function publishedKeys() {
  if (!keysCache) {
    const r = await call('GET', '/v1/keys');
    if (r.status !== 200) throw new Error('cannot fetch the published keys: ' + errorText(r));
    keysCache = r.body;
  }
  return keysCache;
}

export async function authoritySealKey() {
  const k = (await publishedKeys()).authority.keys.find((x) => x.use === 'seal');
  if (!k) throw new Error('the authority publishes no sealing key');
  return k;
}

// Checks a signed object against one party's published keys: answers
// {ok, kid, reason}.
async function verifyBy(keys, obj, party) {
  const sig = obj && obj.sig;
  if (!sig || sig.alg !== 'Ed25519') return { ok: false, reason: 'no Ed25519 signature' };
  const k = keys.find((x) => x.kid === sig.kid && (x.alg || 'Ed25519') === 'Ed25519' && x.use === 'sig');
  if (!k) return { ok: false, kid: sig.kid, reason: `signed by a key the ${party} does not publish` };
  const pub = await crypto.subtle.importKey('raw', unb64url(k.x), { name: 'Ed25519' }, false, ['verify']);
  const ok = await crypto.subtle.verify({ name: 'Ed25519' }, pub, unb64url(sig.sig), enc.encode(canonical(obj)));
  return { ok, kid: sig.kid, reason: ok ? 'valid' : 'the signature does not match the content' };
}

export async function verifyAuthority(obj) {
  return verifyBy((await publishedKeys()).authority.keys, obj, 'authority');
}

// The QR payloads are the platform's.
export async function verifyPlatform(obj) {
  return verifyBy((await publishedKeys()).platform.keys, obj, 'platform');
}

// ---- sealing (docs/crypto.md, "Sealing a capture") -------------------------

export async function seal(recipientB64, adText, plaintext) {
  await sodium.ready;
  const rcpt = unb64url(recipientB64);
  const ephSk = sodium.randombytes_buf(32);
  const ephPk = sodium.crypto_scalarmult_base(ephSk);
  const shared = sodium.crypto_scalarmult(ephSk, rcpt);
  if (shared.every((b) => b === 0)) throw new Error('the authority key is a low-order point');
  const version = Uint8Array.of(1);
  const key = sodium.crypto_generichash(32, concat(enc.encode('eid-seal-v1'), version, shared, ephPk, rcpt));
  const nonce = sodium.randombytes_buf(24);
  const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, enc.encode(adText), null, nonce, key);
  sodium.memzero(ephSk); sodium.memzero(shared); sodium.memzero(key);
  return concat(version, ephPk, nonce, ct);
}

// ---- the device key ----------------------------------------------------------
// An Ed25519 pair made by WebCrypto with a non-extractable private half,
// stored as a CryptoKey in IndexedDB with the rest of the page's state.

function db() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('eid', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('state');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

export async function stateGet(name) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const r = d.transaction('state').objectStore('state').get(name);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export async function stateSet(name, value) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction('state', 'readwrite');
    if (value === undefined) t.objectStore('state').delete(name);
    else t.objectStore('state').put(value, name);
    t.oncomplete = () => resolve();
    t.onerror = () => reject(t.error);
  });
}

export async function newKeyPair() {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, pub: b64url(pub) };
}

export async function sign(privateKey, bytes) {
  return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, bytes));
}

// {sealed, device_sig}: the capture sealed for ad, and ad || sealed signed.
export async function sealAndSign(privateKey, adText, capture) {
  const k = await authoritySealKey();
  const sealed = await seal(k.x, adText, enc.encode(JSON.stringify(capture)));
  const sig = await sign(privateKey, concat(enc.encode(adText), sealed));
  return { sealed: b64url(sealed), device_sig: b64url(sig) };
}

// A key's id: base64url of the first 12 bytes of BLAKE2b-256(public key).
export async function kidOf(pubB64) {
  await sodium.ready;
  return b64url(sodium.crypto_generichash(32, unb64url(pubB64)).slice(0, 12));
}

// obj as a signed object ({..., "sig": {"alg", "kid", "sig"}}).
export async function signObject(key, obj) {
  const sig = await sign(key.privateKey, enc.encode(canonical(obj)));
  return { ...obj, sig: { alg: 'Ed25519', kid: await kidOf(key.pub), sig: b64url(sig) } };
}

export async function sealText(recipientB64, adText, text) {
  return b64url(await seal(recipientB64, adText, enc.encode(text)));
}

// A device-signed request without a capture (history, revoke).
export async function deviceRequest(privateKey, verb, cardId) {
  const nonce = randomId(), ts = Date.now();
  const sig = await sign(privateKey, enc.encode(`v1|${verb}|${cardId}|${nonce}|${ts}`));
  return { card_id: cardId, nonce, ts, device_sig: b64url(sig) };
}

// ---- QR payloads and links -------------------------------------------------------

// The platform-signed payload inside a QR link, decoded (not trusted: the
// platform's answers are what count).
export function payload(qr) {
  return JSON.parse(new TextDecoder().decode(unb64url(qr)));
}

export function appLink(kind, qr) {
  return `${location.origin}/app#${kind}=${qr}`;
}

export function qrImage(img, text) {
  img.src = '/v1/qr?text=' + encodeURIComponent(text);
}

// GB 11643: 17 digits and a check character; null when well formed.
export function idNumberProblem(s) {
  if (!/^[0-9]{17}[0-9X]$/.test(s)) return 'An ID number is 17 digits and a digit or X (18 characters).';
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (s.charCodeAt(i) - 48) * w[i];
  return '10X98765432'[sum % 11] === s[17] ? null : 'This ID number has a typing error (its check character does not match).';
}

// ---- pages ---------------------------------------------------------------------

export const $ = (sel, root = document) => root.querySelector(sel);

export function show(id) {
  for (const v of document.querySelectorAll('[data-view]')) v.hidden = v.id !== id;
  const h = document.getElementById(id)?.querySelector('h2, h1');
  if (h) { h.tabIndex = -1; h.focus(); }
}

// Marks a field invalid with its message next to it (and clears it when ok).
export function fieldError(input, message) {
  const box = document.getElementById(input.id + '-error');
  input.setAttribute('aria-invalid', message ? 'true' : 'false');
  if (box) box.textContent = message || '';
  if (message) input.focus();
  return !message;
}

// Typing in a field clears its error.
document.addEventListener('input', (ev) => {
  const t = ev.target;
  if (t.getAttribute && t.getAttribute('aria-invalid') === 'true') {
    t.setAttribute('aria-invalid', 'false');
    const box = document.getElementById(t.id + '-error');
    if (box) box.textContent = '';
  }
});

export function status(el, text, kind = 'info') {
  el.textContent = text;
  el.dataset.kind = kind;
}

export function fmtTime(ms) {
  return new Date(ms).toLocaleString();
}
