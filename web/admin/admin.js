// admin.js — the authority's admin console (docs/admin.md): sign in with the
// admin token (kept in sessionStorage, this tab only), the overview's counts
// and rates, a register import (CSV and photos read here, sent as one JSON
// body) and the queue of held records. No crypto on this page, so it does not
// load /common/eid.js and its libsodium.

const TOKEN_KEY = 'eid-admin-token';
const BODY_MAX = 64 * 1024 * 1024; // the route's cap (EID_ADMIN_IMPORT_BYTES)
const PHOTO_MAX = 16 * 1024 * 1024; // one photo (EID_ADMIN_PHOTO_BYTES)

const $ = (id) => document.getElementById(id);

function show(id) {
  for (const v of document.querySelectorAll('[data-view]')) v.hidden = v.id !== id;
}

function status(text, kind = '') {
  const s = $('admin-status');
  s.textContent = text;
  s.dataset.kind = kind;
}

// The error of one field: next to it, and announced; '' clears it.
function fieldError(id, text) {
  const input = $(id);
  $(`${id}-error`).textContent = text;
  if (text) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  return !text;
}

function errorText(r) {
  if (r.status === 0) return 'The authority does not answer. Check the network and try again.';
  const m = r.body && r.body.error && r.body.error.message;
  return m ? `${m} (HTTP ${r.status})` : `The authority answered HTTP ${r.status}.`;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

// A call to this origin with the admin token. Answers {status, body}; a
// network failure is {status: 0}. A refused token ends the session.
async function call(method, path, body) {
  const init = { method, headers: { Authorization: `Bearer ${token()}` } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = body;
  }
  let r;
  try {
    const res = await fetch(path, init);
    let json = null;
    try { json = await res.json(); } catch { json = null; }
    r = { status: res.status, body: json };
  } catch {
    return { status: 0, body: null };
  }
  if (r.status === 401) signOut('The admin token was refused (a new one replaces the old). Sign in again.');
  return r;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

const pct = (r) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)} %`);
const when = (ms) => new Date(ms).toLocaleString();

// ---- sign in --------------------------------------------------------------------

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  show('signin');
  $('signin-token').value = '';
  if (message) status(message, 'warn');
  $('signin-token').focus();
}

async function signIn(ev) {
  ev.preventDefault();
  const t = $('signin-token').value.trim();
  if (!/^[A-Za-z0-9_-]{43}$/.test(t)) {
    fieldError('signin-token', 'An admin token is 43 characters of letters, digits, - and _.');
    $('signin-token').focus();
    return;
  }
  fieldError('signin-token', '');
  sessionStorage.setItem(TOKEN_KEY, t);
  const r = await call('GET', '/admin/v1/overview');
  if (r.status === 401) {
    fieldError('signin-token', 'This token is not the current admin token.');
    return;
  }
  if (r.status !== 200) {
    sessionStorage.removeItem(TOKEN_KEY);
    fieldError('signin-token', errorText(r));
    return;
  }
  $('signin-token').value = '';
  status('');
  openConsole(r.body);
}

async function openConsole(overview) {
  show('console');
  renderOverview(overview);
  $('overview-title').focus();
  await loadHeld();
}

// ---- overview -------------------------------------------------------------------

function stat(label, value, note) {
  const d = el('div', undefined, 'stat');
  d.append(el('b', value), el('span', label));
  if (note) d.append(el('small', note));
  return d;
}

function renderOverview(o) {
  const g = $('overview-grid');
  g.replaceChildren();
  if (!o) return;
  const cards = [];
  for (const [level, byStatus] of Object.entries(o.cards.by_level || {}))
    for (const [st, n] of Object.entries(byStatus)) cards.push(stat(`${level} cards, ${st}`, n));
  const e = o.enrolments, v = o.verifications, i = o.imports;
  g.append(
    stat('persons in the register', o.register.persons),
    stat('cards', o.cards.total),
    ...cards,
    stat('enrolments issued', e.issued, `last 24 h: ${e.last_24h.issued}`),
    stat('enrolments refused', e.refused, `last 24 h: ${e.last_24h.refused}`),
    stat('enrolment refusal rate', pct(e.refusal_rate), `last 24 h: ${pct(e.last_24h.refusal_rate)}`),
    stat('verifications yes', v.total.yes, `last 24 h: ${v.last_24h.yes}`),
    stat('verifications no', v.total.no, `last 24 h: ${v.last_24h.no}`),
    stat('"no" rate', pct(v.total.no_rate), `last 24 h: ${pct(v.last_24h.no_rate)}`),
    stat('import rows', i.rows, `${i.batches} batches`),
    stat('rows imported', i.imported),
    stat('rows rejected', i.rejected, `rate ${pct(i.rejection_rate)}`),
    stat('held records', i.held),
  );
  $('overview-time').textContent = `Counts at ${when(o.time)}. Counts only: the console never shows ID numbers, names, photos or templates.`;
}

async function loadOverview() {
  const r = await call('GET', '/admin/v1/overview');
  if (r.status === 200) renderOverview(r.body);
  else if (r.status !== 401) status(errorText(r), 'bad');
}

// ---- held records ---------------------------------------------------------------

async function loadHeld(focusAfter) {
  const r = await call('GET', '/admin/v1/held');
  if (r.status !== 200) {
    if (r.status !== 401) status(errorText(r), 'bad');
    return;
  }
  const body = $('held-table').tBodies[0];
  body.replaceChildren();
  for (const h of r.body.held) {
    const tr = el('tr');
    const act = el('td');
    let why = `${h.reason} (${h.code})`;
    if (h.kind === 'duplicate') {
      // a duplicate is decided with a reason: accept imports it, reject drops it
      why += '; candidates: ' + (h.candidates || [])
        .map((c) => `${c.person} (${Number(c.score).toFixed(4)})`).join(', ');
      act.append(decisionForm(h));
    } else {
      const b = el('button', 'Dismiss', 'secondary');
      b.type = 'button';
      b.setAttribute('aria-label', `Dismiss line ${h.line} of batch ${h.batch}`);
      b.addEventListener('click', () => dismiss(h, b));
      act.append(b);
    }
    // the actions before batch and time: visible on a phone without scrolling
    tr.append(el('td', h.line), el('td', why), act, el('td', h.batch, 'mono'),
      el('td', when(h.time)));
    body.append(tr);
  }
  const shown = r.body.held.length, total = r.body.total;
  $('held-count').textContent = total === 0 ? 'Nothing is held.'
    : shown < total ? `${total} held records; the newest ${shown} are shown.` : `${total} held records.`;
  if (focusAfter) focusAfter();
}

// Accept / Reject of a duplicate hold: a required reason (1..200 printable
// characters), its error next to it.
function decisionForm(h) {
  const id = `reason-${h.id}`;
  const wrap = el('div', '', 'decision');
  const label = el('label', `Reason for line ${h.line}`);
  label.htmlFor = id;
  const input = el('input');
  input.id = id;
  input.maxLength = 200;
  input.setAttribute('aria-describedby', `${id}-error`);
  const err = el('p', '', 'field-error');
  err.id = `${id}-error`;
  err.setAttribute('aria-live', 'polite');
  const acc = el('button', 'Accept');
  const rej = el('button', 'Reject', 'secondary');
  for (const [b, what] of [[acc, 'accept'], [rej, 'reject']]) {
    b.type = 'button';
    b.setAttribute('aria-label', `${what === 'accept' ? 'Accept' : 'Reject'} line ${h.line} of batch ${h.batch}`);
    b.addEventListener('click', () => decide(h, what, input, [acc, rej]));
  }
  wrap.append(label, input, err, acc, rej);
  return wrap;
}

async function decide(h, what, input, buttons) {
  const reason = input.value.trim();
  // eslint-disable-next-line no-control-regex
  if (!reason || reason.length > 200 || /[\u0000-\u001f\u007f]/.test(reason)) {
    fieldError(input.id, 'Give a reason of 1 to 200 characters.');
    input.focus();
    return;
  }
  fieldError(input.id, '');
  for (const b of buttons) b.disabled = true;
  const r = await call('POST', `/admin/v1/held/${encodeURIComponent(h.id)}/${what}`,
    JSON.stringify({ reason }));
  if (r.status === 200) {
    status(`Line ${h.line} of batch ${h.batch} ${what === 'accept' ? 'accepted and imported' : 'rejected'}.`, 'ok');
    await loadHeld(() => $('held-title').focus());
    loadOverview();
    return;
  }
  for (const b of buttons) b.disabled = false;
  if (r.status === 400) fieldError(input.id, errorText(r));
  else if (r.status !== 401) status(errorText(r), 'bad');
}

async function dismiss(h, button) {
  button.disabled = true;
  const r = await call('POST', `/admin/v1/held/${encodeURIComponent(h.id)}/dismiss`);
  if (r.status === 200 || r.status === 404) {
    status(`Line ${h.line} of batch ${h.batch} dismissed.`, 'ok');
    // the button is gone with its row: keep the keyboard in the queue
    await loadHeld(() => $('held-title').focus());
    loadOverview();
  } else {
    button.disabled = false;
    if (r.status !== 401) status(errorText(r), 'bad');
  }
}

// ---- import ---------------------------------------------------------------------

function read(file, how) {
  return new Promise((resolve, reject) => {
    const fr = new FileReader();
    fr.onload = () => resolve(fr.result);
    fr.onerror = () => reject(fr.error);
    if (how === 'text') fr.readAsText(file);
    else fr.readAsDataURL(file);
  });
}

// Checks the fields; answers the files or null (errors shown next to them).
function importFiles() {
  const csv = $('import-csv').files[0];
  const photos = [...$('import-photos').files];
  let ok = fieldError('import-csv', csv ? '' : 'Choose the register file (CSV).');
  const big = photos.find((p) => p.size > PHOTO_MAX);
  const names = new Set();
  const dup = photos.find((p) => names.size === names.add(p.name).size);
  const total = (csv ? csv.size : 0) + photos.reduce((n, p) => n + Math.ceil(p.size / 3) * 4, 0);
  let perr = '';
  if (big) perr = `${big.name} is larger than 16 MiB.`;
  else if (dup) perr = `Two photos are named ${dup.name}; names must differ.`;
  else if (total > BODY_MAX - 64 * 1024) perr = 'These files are too large for one import (64 MiB after encoding): split the register.';
  ok = fieldError('import-photos', perr) && ok;
  if (!ok) {
    (csv ? $('import-photos') : $('import-csv')).focus();
    return null;
  }
  return { csv, photos };
}

async function doImport(ev) {
  ev.preventDefault();
  const f = importFiles();
  if (!f) return;
  const submit = $('import-submit');
  submit.disabled = true;
  status('Reading the files…');
  let body;
  try {
    const photos = {};
    for (const p of f.photos) {
      const url = await read(p, 'url');
      photos[p.name] = url.slice(url.indexOf(',') + 1); // base64 after "data:...;base64,"
    }
    body = JSON.stringify({ csv: await read(f.csv, 'text'), photos });
  } catch {
    submit.disabled = false;
    status('A file could not be read.', 'bad');
    return;
  }
  status('Importing: every photo goes through the face engine, this can take a while…');
  const r = await call('POST', '/admin/v1/import', body);
  submit.disabled = false;
  if (r.status === 401) return;
  if (r.status !== 200) {
    const target = r.body && r.body.error && r.body.error.code === 'bad_format' ? 'import-csv' : 'import-photos';
    fieldError(target, errorText(r));
    status('Nothing was imported.', 'bad');
    $(target).focus();
    return;
  }
  showResult(r.body);
  loadOverview();
  loadHeld();
}

function showResult(res) {
  $('import-result').hidden = false;
  const summary = `${res.rows} rows: ${res.imported} imported, ${res.rejected} not imported.`;
  $('import-summary').textContent = summary;
  status(summary, res.rejected ? 'warn' : 'ok');
  const t = $('import-errors');
  const body = t.tBodies[0];
  body.replaceChildren();
  body.replaceChildren(...res.errors.map((e) => {
    const tr = el('tr');
    tr.append(el('td', e.line), el('td', e.reason), el('td', e.code));
    return tr;
  }));
  t.hidden = res.errors.length === 0;
}

// ---- start ----------------------------------------------------------------------

$('signin-form').addEventListener('submit', signIn);
$('import-form').addEventListener('submit', doImport);
$('overview-refresh').addEventListener('click', loadOverview);
$('held-refresh').addEventListener('click', () => loadHeld());
$('signout').addEventListener('click', () => signOut('Signed out.'));
$('import-csv').addEventListener('change', () => fieldError('import-csv', ''));
$('import-photos').addEventListener('change', () => fieldError('import-photos', ''));

(async () => {
  if (!token()) {
    show('signin');
    return;
  }
  const r = await call('GET', '/admin/v1/overview');
  if (r.status === 200) openConsole(r.body);
  else if (r.status !== 401) {
    show('signin');
    status(errorText(r), 'bad');
  }
})();
