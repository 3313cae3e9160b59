// FPIR / FNIR of the dedup decision (docs/search.md) on the shared dev set.
// Input: JSON lines of `eid face embed` for ../shared/faces/dev (labels.csv
// gives each image's person) and for ../shared/faces/cohort (one photo per
// person). Gallery: each dev person's first image plus the whole cohort
// (filler). Mated probes: every other image of a dev person (FNIR: its own
// enrolment scores below the threshold). Non-mated probes: the cohort faces
// against the dev gallery alone (FPIR: any score at or above the threshold).
// Scores are exact float dot products, as the authority decides after its
// int8 scan's re-score.
//
//   node tools/dedup-eval.mjs dev.jsonl cohort.jsonl ../shared/faces/dev/labels.csv
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

function load(path) {
  const out = new Map();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const j = JSON.parse(line);
    if (j.faces_found === 1 && j.embedding) out.set(j.image, j.embedding);
  }
  return out;
}

const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);

const [devPath, cohortPath, labels] = process.argv.slice(2);
const dev = load(devPath), cohort = load(cohortPath);
const root = dirname(labels);
const rows = readFileSync(labels, 'utf8').trim().split('\n');
const header = rows.shift().split(',');
const person = new Map();
for (const r of rows) {
  const f = r.split(',');
  person.set(normalize(join(root, f[header.indexOf('path')])), f[header.indexOf('person_id')]);
}
const by = new Map();
for (const img of [...dev.keys()].sort()) {
  const p = person.get(normalize(img));
  if (p) by.set(p, [...(by.get(p) || []), img]);
}
const gallery = [...by].map(([p, imgs]) => [p, dev.get(imgs[0])]);
const filler = [...cohort.values()];
const mated = [...by].flatMap(([p, imgs]) => imgs.slice(1).map((i) => [p, dev.get(i)]));
const own = [], other = [];
for (const [p, v] of mated) {
  own.push(Math.max(...gallery.filter(([q]) => q === p).map(([, g]) => dot(v, g))));
  other.push(Math.max(...gallery.filter(([q]) => q !== p).map(([, g]) => dot(v, g)), ...filler.map((f) => dot(v, f))));
}
const nonMated = filler.map((v) => Math.max(...gallery.map(([, g]) => dot(v, g))));
const pairs = [];
for (let i = 0; i < filler.length; i++)
  for (let j = i + 1; j < filler.length; j++) pairs.push(dot(filler[i], filler[j]));
const rate = (xs, f) => xs.filter(f).length / xs.length;
console.log(`gallery ${gallery.length} dev persons + ${filler.length} cohort filler; ${mated.length} mated probes; ` +
  `${nonMated.length} non-mated probes; ${pairs.length} impostor pairs`);
console.log(`threshold  FNIR  mated-hitting-another  FPIR(N=${gallery.length})  FMR/pair`);
for (const t of [0.93, 0.94, 0.95, 0.9564, 0.96, 0.9649, 0.97, 0.975, 0.98])
  console.log(`${t.toFixed(4)}  ${rate(own, (x) => x < t).toFixed(4)}  ${rate(other, (x) => x >= t).toFixed(4)}  ` +
    `${rate(nonMated, (x) => x >= t).toFixed(4)}  ${rate(pairs, (x) => x >= t).toExponential(2)}`);
