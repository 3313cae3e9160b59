// The face-verification calibration for the population the system serves
// (docs/calibration.md): score normalisation constants, the fusion weight,
// thresholds per assurance level, and the measurements behind each choice.
//
//   node tools/face-calibrate.mjs [--shared ../shared] [--eid build/eid]
//        [--out src/face/calibration.json] [--cache build/calibration]
//
// It runs `eid face embed --template` over ../shared/faces/dev (labelled,
// mostly East Asian) and ../shared/faces/cohort (581 East-Asian faces, one per
// person), then:
//  1. z-normalisation: each embedder's impostor cosine mean and standard
//     deviation over every cohort pair;
//  2. fusion weight: chosen by 5-fold cross-validation over dev *people*
//     (never pairs): on the training people, the weight with the highest TAR
//     at FAR 1e-3; reported on the held-out people only;
//  3. thresholds: for each level's target FAR, the lowest four-decimal score
//     whose FAR is at most the target on all the East-Asian impostor pairs we
//     have (cohort pairs, dev cross-person pairs, dev x cohort) and on each of
//     the three sources large enough to measure it;
//  4. an ablation table of what was tried, on one fixed impostor pool.
// Writes the calibration JSON (the C build's numbers must equal it:
// tests/face/test_calibration.c) and prints the tables as Markdown.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SHARED = arg('--shared', '../shared');
const EID = resolve(arg('--eid', 'build/eid'));
const OUT = arg('--out', 'src/face/calibration.json');
const CACHE = arg('--cache', 'build/calibration');
const FAR_TARGET = { lightweight: 1e-3, full: 1e-4 };
const FOLDS = 5;
const WEIGHTS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

function csv(path) {
  const rows = readFileSync(path, 'utf8').trim().split('\n');
  const h = rows.shift().split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [h[i], v])));
}

// Templates of every image of a set, cached by the list of files.
function embed(name, dir, files) {
  mkdirSync(CACHE, { recursive: true });
  const cache = join(CACHE, `${name}.jsonl`);
  if (!existsSync(cache)) {
    process.stderr.write(`embedding ${files.length} ${name} photos...\n`);
    let out = '';
    for (let i = 0; i < files.length; i += 200) {
      try {
        out += execFileSync(EID, ['face', 'embed', '--template', '--threads', '2', ...files.slice(i, i + 200)], {
          cwd: dir, maxBuffer: 1 << 30, encoding: 'utf8',
        });
      } catch (e) {
        if (!e.stdout) throw e;
        out += e.stdout; // exit 1 when a photo has no face: its line says so
      }
    }
    writeFileSync(cache, out);
  }
  const m = new Map();
  for (const line of readFileSync(cache, 'utf8').split('\n')) {
    if (!line) continue;
    const j = JSON.parse(line);
    m.set(j.image, j.error ? null : {
      dlib: Float64Array.from(j.embedding), faceres: Float64Array.from(j.faceres), qok: j.quality.ok,
    });
  }
  return m;
}

const dot = (a, b) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs, m) => Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);

// Threshold for a target FAR: the smallest 4-decimal value t with
// #{impostor >= t} / n <= far.
function thresholdAt(imp, far) {
  const s = Float64Array.from(imp).sort().reverse();
  const k = Math.floor(far * s.length + 1e-9); // false accepts allowed
  let t = Math.ceil(s[k] * 1e4 + 1e-6) / 1e4; // strictly above the (k+1)-th
  if (t <= s[k]) t += 1e-4;
  return +t.toFixed(4);
}
// A level's threshold: the target FAR must hold on the pooled impostors and on
// each impostor source large enough to measure it (10 false accepts or more),
// so that no kind of impostor we have is accepted more often than the target.
function levelThreshold(sources, far) {
  const pooled = sources.flat();
  let t = thresholdAt(pooled, far);
  for (const s of sources) if (s.length * far >= 10) t = Math.max(t, thresholdAt(s, far));
  return t;
}
const acceptRate = (xs, t) => { let n = 0; for (const x of xs) n += x >= t; return n / xs.length; };
function eer(gen, imp) {
  const all = [...gen.map((s) => [s, 1]), ...imp.map((s) => [s, 0])].sort((a, b) => b[0] - a[0]);
  let fa = 0, ta = 0, best = 1;
  for (const [, g] of all) {
    if (g) ta++; else fa++;
    best = Math.min(best, Math.max(fa / imp.length, 1 - ta / gen.length));
  }
  return best;
}
const pct = (x, d = 1) => (100 * x).toFixed(d) + '%';
const sci = (x) => x === 0 ? '0' : x.toExponential(1);

// --- data ---------------------------------------------------------------
const devDir = join(SHARED, 'faces/dev'), cohDir = join(SHARED, 'faces/cohort');
const labels = csv(join(devDir, 'labels.csv'));
const cohFiles = csv(join(cohDir, 'manifest.csv')).map((r) => r.file).sort();
const devT = embed('dev', devDir, labels.map((r) => r.path));
const cohT = embed('cohort', cohDir, cohFiles);
const fta = { dev: [...devT.values()].filter((t) => !t).length, cohort: [...cohT.values()].filter((t) => !t).length };
const dev = labels.filter((r) => devT.get(r.path)).map((r) => ({ ...devT.get(r.path), path: r.path, person: r.person_id, ea: r.source !== 'orl' }));
const ea = dev.filter((x) => x.ea), orl = dev.filter((x) => !x.ea);
const coh = cohFiles.filter((f) => cohT.get(f)).map((f) => cohT.get(f));
const people = [...new Set(ea.map((x) => x.person))].sort();
const foldOf = new Map(people.map((p, i) => [p, i % FOLDS]));
const pairFile = csv(join(devDir, 'pairs/east_asian_web.csv'));
const byPath = new Map(dev.map((x) => [x.path, x]));

// --- 1. z-normalisation constants from the cohort --------------------------
function cohortStats(key, set) {
  const s = [];
  for (let i = 0; i < set.length; i++) for (let j = i + 1; j < set.length; j++) s.push(dot(set[i][key], set[j][key]));
  const m = mean(s);
  return { mean: +m.toFixed(6), sd: +sd(s, m).toFixed(6) };
}
const zd = cohortStats('dlib', coh), zr = cohortStats('faceres', coh);
const zD = (a, b) => (dot(a.dlib, b.dlib) - zd.mean) / zd.sd;
const zR = (a, b) => (dot(a.faceres, b.faceres) - zr.mean) / zr.sd;

// Every comparison, with both z-scores and who is involved.
function comparisons(xs, ys, same) {
  const out = [];
  const tri = xs === ys;
  for (let i = 0; i < xs.length; i++)
    for (let j = tri ? i + 1 : 0; j < ys.length; j++) {
      const a = xs[i], b = ys[j];
      if (same !== undefined && (a.person === b.person) !== same) continue;
      out.push({ d: zD(a, b), r: zR(a, b), pa: a.person, pb: b.person });
    }
  return out;
}
const eaGen = comparisons(ea, ea, true), eaImp = comparisons(ea, ea, false);
const eaCoh = comparisons(ea, coh), cohImp = comparisons(coh, coh);
const fuse = (w) => (c) => w * c.d + (1 - w) * c.r;
const inFolds = (c, folds) => folds.has(foldOf.get(c.pa)) && (c.pb === undefined || folds.has(foldOf.get(c.pb)));

// --- 2. fusion weight by cross-validation over people ----------------------
function pickWeight(train) {
  let best = null;
  for (const w of WEIGHTS) {
    const f = fuse(w);
    const gen = eaGen.filter((c) => inFolds(c, train)).map(f);
    const imp = [...cohImp, ...eaImp.filter((c) => inFolds(c, train)), ...eaCoh.filter((c) => inFolds(c, train))].map(f);
    const t = thresholdAt(imp, 1e-3);
    const score = acceptRate(gen, t) - 1e-3 * eer(gen, eaImp.filter((c) => inFolds(c, train)).map(f));
    if (!best || score > best.score) best = { w, score };
  }
  return best.w;
}
const cv = [];
const held = { gen: [], imp: [], genAcc: { lightweight: 0, full: 0 }, impAcc: { lightweight: 0, full: 0 } };
for (let k = 0; k < FOLDS; k++) {
  const train = new Set([...Array(FOLDS).keys()].filter((i) => i !== k)), test = new Set([k]);
  const w = pickWeight(train), f = fuse(w);
  const pool = [cohImp, eaImp.filter((c) => inFolds(c, train)), eaCoh.filter((c) => inFolds(c, train))].map((s) => s.map(f));
  const gen = eaGen.filter((c) => inFolds(c, test)).map(f), imp = eaImp.filter((c) => inFolds(c, test)).map(f);
  const row = { fold: k, weight: w, genuine: gen.length, impostor: imp.length, eer: eer(gen, imp) };
  for (const [level, far] of Object.entries(FAR_TARGET)) {
    const t = levelThreshold(pool, far);
    row[level] = { threshold: t, tar: acceptRate(gen, t), far: acceptRate(imp, t) };
    held.genAcc[level] += gen.filter((s) => s >= t).length;
    held.impAcc[level] += imp.filter((s) => s >= t).length;
  }
  held.gen.push(...gen);
  held.imp.push(...imp);
  cv.push(row);
}
const weight = pickWeight(new Set([...Array(FOLDS).keys()]));

// --- 3. thresholds per scorer and level on every East-Asian impostor pair --
const scorers = { dlib: (c) => c.d, fused: fuse(weight) };
const threshold = {}, measured = {};
for (const [name, f] of Object.entries(scorers)) {
  const sources = [cohImp, eaImp, eaCoh].map((s) => s.map(f)), pool = sources.flat();
  threshold[name] = {};
  measured[name] = {};
  for (const [level, far] of Object.entries(FAR_TARGET)) {
    const t = levelThreshold(sources, far);
    threshold[name][level] = t;
    measured[name][level] = {
      far_all_impostors: acceptRate(pool, t), far_cohort: acceptRate(cohImp.map(f), t),
      far_dev_east_asian: acceptRate(eaImp.map(f), t), far_dev_x_cohort: acceptRate(eaCoh.map(f), t),
      frr_dev_east_asian: 1 - acceptRate(eaGen.map(f), t),
      frr_dev_orl: 1 - acceptRate(comparisons(orl, orl, true).map(f), t),
    };
  }
}
// stability: thresholds set on one half of the cohort, FAR on the other half
const A = coh.filter((_, i) => i % 2 === 0), B = coh.filter((_, i) => i % 2 === 1);
const stability = {};
for (const [name, f] of Object.entries(scorers)) {
  const a = comparisons(A, A).map(f), b = comparisons(B, B).map(f);
  stability[name] = Object.fromEntries(Object.entries(FAR_TARGET).map(([l, far]) => [l, { set_on_half_a: thresholdAt(a, far), far_on_half_b: acceptRate(b, thresholdAt(a, far)) }]));
}

// --- 4. ablation on one pool: cohort half B pairs, dev EA cross-person, dev EA x half B
function asnorm(key, K) {
  const cache = new Map();
  const stat = (x) => {
    if (!cache.has(x)) {
      const s = A.map((c) => dot(x[key], c[key])).sort((p, q) => q - p).slice(0, K);
      const m = mean(s);
      cache.set(x, [m, sd(s, m)]);
    }
    return cache.get(x);
  };
  return (a, b) => { const [ma, sa] = stat(a), [mb, sb] = stat(b), s = dot(a[key], b[key]); return 0.5 * ((s - ma) / sa + (s - mb) / sb); };
}
const asD = asnorm('dlib', 50), asR = asnorm('faceres', 50);
const fusedTT = (a, b) => weight * zD(a, b) + (1 - weight) * zR(a, b);
const variants = [
  ['reference: dlib ResNet, cosine (= its z-score)', zD],
  ['faceres alone (224 aligned chip, BGR - mean, flip)', zR],
  [`fused: ${weight} z(dlib) + ${(1 - weight).toFixed(1)} z(faceres)`, fusedTT],
  ['dlib + adaptive score normalisation (cohort half A, top 50)', asD],
  ['fused + adaptive score normalisation', (a, b) => weight * asD(a, b) + (1 - weight) * asR(a, b)],
];
function pairsIn(xs, ys, same) {
  const out = [];
  const tri = xs === ys;
  for (let i = 0; i < xs.length; i++)
    for (let j = tri ? i + 1 : 0; j < ys.length; j++)
      if (same === undefined || (xs[i].person === ys[j].person) === same) out.push([xs[i], ys[j]]);
  return out;
}
const P = { gen: pairsIn(ea, ea, true), imp: [...pairsIn(B, B), ...pairsIn(ea, ea, false), ...pairsIn(ea, B)], devImp: pairsIn(ea, ea, false) };
const pfGen = pairFile.filter((p) => p.same === '1').map((p) => [byPath.get(p.a), byPath.get(p.b)]);
const pfImp = pairFile.filter((p) => p.same === '0').map((p) => [byPath.get(p.a), byPath.get(p.b)]);
const orlGen = pairsIn(orl, orl, true), orlImp = pairsIn(orl, orl, false);
function ablate(name, f, genPairs = P.gen, note = '') {
  const sc = (ps) => ps.map(([a, b]) => f(a, b));
  const imp = sc(P.imp), gen = sc(genPairs);
  return {
    name, note, eer_pairs_file: eer(sc(pfGen), sc(pfImp)), eer_all: eer(gen, sc(P.devImp)),
    tar_1e3: acceptRate(gen, thresholdAt(imp, 1e-3)), tar_1e4: acceptRate(gen, thresholdAt(imp, 1e-4)),
    eer_orl: eer(sc(orlGen), sc(orlImp)), genuine: gen.length,
  };
}
const ablation = variants.map(([n, f]) => ablate(n, f));
// two photos at enrolment (the register photo and the enrolment capture):
// each probe scored against both, the mean of the two scores
const byPerson = new Map();
for (const x of ea) byPerson.set(x.person, [...(byPerson.get(x.person) || []), x]);
const enrolled = [...byPerson.values()].filter((xs) => xs.length >= 3);
function galleryRows(name, f, two, gate = false) {
  const gen = [], imp = [];
  for (const xs of enrolled) {
    const g = xs.slice(0, 2);
    for (const ys of enrolled) for (const probe of ys.slice(2)) {
      if (gate && !probe.qok) continue;
      const s = two ? (f(probe, g[0]) + f(probe, g[1])) / 2 : f(probe, g[0]);
      (ys === xs ? gen : imp).push(s);
    }
  }
  // impostor probes from the cohort half B as well (people never enrolled)
  for (const xs of enrolled) for (const probe of B) imp.push(two ? (f(probe, xs[0]) + f(probe, xs[1])) / 2 : f(probe, xs[0]));
  return { name, genuine: gen.length, impostor: imp.length, eer: eer(gen, imp), tar_1e3: acceptRate(gen, thresholdAt(imp, 1e-3)), tar_1e4: acceptRate(gen, thresholdAt(imp, 1e-4)) };
}
const gallery = [
  galleryRows('dlib, one enrolment photo', zD, false), galleryRows('dlib, two enrolment photos', zD, true),
  galleryRows('fused, one enrolment photo', fusedTT, false), galleryRows('fused, two enrolment photos', fusedTT, true),
  galleryRows('fused, two enrolment photos, probes failing the quality checks refused', fusedTT, true, true),
];
// quality gate: what refusing captures that fail the quality checks does
const qOk = (x) => x.qok;
const qGen = P.gen.filter(([a, b]) => qOk(a) && qOk(b)), refused = ea.filter((x) => !qOk(x)).length;
ablation.push(ablate('fused, photos failing the capture quality checks refused', fusedTT, qGen, `${refused} of ${ea.length} photos refused`));

// --- output ---------------------------------------------------------------
// the id names the numbers the services decide with, so it changes when they do
const digest = createHash('sha256').update(JSON.stringify([zd, zr, weight, FAR_TARGET, threshold])).digest('hex');
const cal = {
  id: `east-asian-${digest.slice(0, 8)}`,
  population: 'East Asian',
  data: `impostors: ${cohImp.length} pairs of ../shared/faces/cohort (${coh.length} people), ${eaImp.length} dev East-Asian cross-person pairs, ${eaCoh.length} dev x cohort pairs; genuine: ${eaGen.length} dev East-Asian pairs (weight only)`,
  dlib: zd, faceres: zr, weight, far_target: FAR_TARGET, threshold, measured,
  cross_validation: { folds: cv, held_out: {
    genuine: held.gen.length, impostor: held.imp.length, eer: eer(held.gen, held.imp),
    ...Object.fromEntries(Object.keys(FAR_TARGET).map((l) => [l, { tar: held.genAcc[l] / held.gen.length, far: held.impAcc[l] / held.imp.length }])),
  } },
  stability, failure_to_acquire: fta,
};
writeFileSync(OUT, JSON.stringify(cal, null, 2) + '\n');

const md = [];
md.push(`Calibration \`${cal.id}\` (written to ${OUT}).`, '');
md.push(`z-normalisation on ${cohImp.length} cohort pairs: dlib mean ${zd.mean} sd ${zd.sd}; faceres mean ${zr.mean} sd ${zr.sd}. Fusion weight of dlib: ${weight}.`, '');
md.push('| scorer | level | target FAR | threshold | FAR all EA impostors | FAR cohort | FAR dev EA | FAR dev x cohort | FRR dev EA | FRR ORL |', '|---|---|---|---|---|---|---|---|---|---|');
for (const s of Object.keys(scorers))
  for (const l of Object.keys(FAR_TARGET)) {
    const m = measured[s][l];
    md.push(`| ${s} | ${l} | ${FAR_TARGET[l]} | ${threshold[s][l].toFixed(4)} | ${sci(m.far_all_impostors)} | ${sci(m.far_cohort)} | ${sci(m.far_dev_east_asian)} | ${sci(m.far_dev_x_cohort)} | ${pct(m.frr_dev_east_asian)} | ${pct(m.frr_dev_orl)} |`);
  }
md.push('', 'Cross-validation over people (5 folds; weight and thresholds chosen without the held-out people):', '');
md.push('| fold | weight | genuine | impostor | EER | TAR / FAR lightweight | TAR / FAR full |', '|---|---|---|---|---|---|---|');
for (const r of cv) md.push(`| ${r.fold} | ${r.weight} | ${r.genuine} | ${r.impostor} | ${pct(r.eer)} | ${pct(r.lightweight.tar)} / ${sci(r.lightweight.far)} | ${pct(r.full.tar)} / ${sci(r.full.far)} |`);
const h = cal.cross_validation.held_out;
md.push(`| all held out | | ${h.genuine} | ${h.impostor} | ${pct(h.eer)} | ${pct(h.lightweight.tar)} / ${sci(h.lightweight.far)} | ${pct(h.full.tar)} / ${sci(h.full.far)} |`);
md.push('', 'Thresholds set on one half of the cohort, FAR on the other half:', '');
for (const s of Object.keys(scorers)) md.push(`- ${s}: ` + Object.entries(stability[s]).map(([l, v]) => `${l} ${v.set_on_half_a.toFixed(4)} → FAR ${sci(v.far_on_half_b)} (target ${FAR_TARGET[l]})`).join('; '));
md.push('', `Ablation (impostors: ${P.imp.length} pairs = cohort half B, dev EA cross-person, dev EA x half B; genuine: all ${P.gen.length} dev EA pairs; "pairs file" = dev/pairs/east_asian_web.csv):`, '');
md.push('| variant | EER pairs file | EER all dev EA pairs | TAR @ FAR 1e-3 | TAR @ FAR 1e-4 | EER ORL | note |', '|---|---|---|---|---|---|---|');
for (const r of ablation) md.push(`| ${r.name} | ${pct(r.eer_pairs_file, 2)} | ${pct(r.eer_all, 2)} | ${pct(r.tar_1e3)} | ${pct(r.tar_1e4)} | ${pct(r.eer_orl, 2)} | ${r.note || (r.genuine !== P.gen.length ? r.genuine + ' genuine' : '')} |`);
md.push('', `Enrolment with one or two photos (${enrolled.length} dev EA people with 3+ photos: photos 1-2 enrolled, the rest probes; impostor probes also from cohort half B):`, '');
md.push('| gallery | genuine | impostor | EER | TAR @ FAR 1e-3 | TAR @ FAR 1e-4 |', '|---|---|---|---|---|---|');
for (const r of gallery) md.push(`| ${r.name} | ${r.genuine} | ${r.impostor} | ${pct(r.eer, 2)} | ${pct(r.tar_1e3)} | ${pct(r.tar_1e4)} |`);
md.push('', `Failure to acquire: dev ${fta.dev} of ${labels.length}, cohort ${fta.cohort} of ${cohFiles.length}.`);
console.log(md.join('\n'));
