// The face-verification calibration for the population the system serves
// (docs/calibration.md): normalisation constants, fusion weights, the cohort's
// domain gate, thresholds per scorer and assurance level, and the
// measurements behind each choice.
//
//   node tools/face-calibrate.mjs [--shared ../shared] [--eid build/eid]
//        [--out src/face/calibration.json] [--cache build/calibration]
//
// It runs `eid face embed --template` over ../shared/faces/dev (labelled,
// mostly East Asian) and ../shared/faces/cohort (581 East-Asian faces, one per
// person), splits the cohort into A (the normalisation cohort the authority
// keeps) and B (impostors for calibration only), then:
//  1. z-normalisation constants from A's pairs; each face's K best cosines
//     against A (adaptive score normalisation) and the domain gate;
//  2. fusion weights by 5-fold cross-validation over dev *people* (never
//     pairs), reported on the held-out people only;
//  3. thresholds: for each level's target FAR, the lowest four-decimal score
//     whose FAR is at most the target on all the East-Asian impostor pairs
//     (B's pairs, dev cross-person pairs, dev x B) and on each of the three
//     sources large enough to measure it;
//  4. an ablation table of what was tried, on one fixed impostor pool.
// Writes the calibration JSON (the C build's numbers must equal it:
// tests/face/test_match.c) and prints the tables as Markdown.
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
const COHORT_K = 50; // templates of the cohort each score is normalised against
const GATE_QUANTILE = 0.005; // East-Asian faces below it fall outside the cohort's domain

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
// The cohort's two halves (the rule eid applies too: src/cli/cmd_authority.c):
// in name order, the files at even positions are the normalisation cohort the
// authority keeps (A); the others only calibrate (B). No impostor pair below
// involves a member of A.
const filesA = cohFiles.filter((f, i) => i % 2 === 0 && cohT.get(f));
const A = filesA.map((f) => cohT.get(f));
const B = cohFiles.filter((f, i) => i % 2 === 1 && cohT.get(f)).map((f) => cohT.get(f));
const people = [...new Set(ea.map((x) => x.person))].sort();
const foldOf = new Map(people.map((p, i) => [p, i % FOLDS]));
const pairFile = csv(join(devDir, 'pairs/east_asian_web.csv'));
const byPath = new Map(dev.map((x) => [x.path, x]));

// --- 1. normalisation ----------------------------------------------------
// z-normalisation: each embedder's impostor cosine mean and sd over A's pairs
function cohortStats(key, set) {
  const s = [];
  for (let i = 0; i < set.length; i++) for (let j = i + 1; j < set.length; j++) s.push(dot(set[i][key], set[j][key]));
  const m = mean(s);
  return { mean: +m.toFixed(6), sd: +sd(s, m).toFixed(6) };
}
const zd = cohortStats('dlib', A), zr = cohortStats('faceres', A);
// adaptive score normalisation: each template's K highest cosines against A
function asStats(x, key, k) {
  const s = A.map((c) => dot(x[key], c[key])).sort((p, q) => q - p).slice(0, k);
  const m = mean(s);
  return [m, sd(s, m)];
}
// The normalisation holds for faces like the cohort's: a template whose K
// best cohort cosines are lower on average than those of all but the lowest
// 0.5% of East-Asian faces (dev and B) is out of its domain (a grey 1990s
// scan, say), and its comparisons fall back to the fused scorer.
const quantile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(p * xs.length)];
function prepare(k) {
  for (const x of [...dev, ...B]) x.as = { dlib: asStats(x, 'dlib', k), faceres: asStats(x, 'faceres', k) };
  const pop = [...ea, ...B];
  const gate = {
    dlib: Math.floor(quantile(pop.map((x) => x.as.dlib[0]), GATE_QUANTILE) * 1e4) / 1e4,
    faceres: Math.floor(quantile(pop.map((x) => x.as.faceres[0]), GATE_QUANTILE) * 1e4) / 1e4,
  };
  for (const x of [...dev, ...B]) x.in = x.as.dlib[0] >= gate.dlib && x.as.faceres[0] >= gate.faceres;
  return gate;
}
const asn = (a, b, key) => {
  const s = dot(a[key], b[key]), [ma, sa] = a.as[key], [mb, sb] = b.as[key];
  return 0.5 * ((s - ma) / sa + (s - mb) / sb);
};
let gate = prepare(COHORT_K);

// Every comparison, with its four normalised scores and who is involved.
function comparisons(xs, ys, same) {
  const out = [];
  const tri = xs === ys;
  for (let i = 0; i < xs.length; i++)
    for (let j = tri ? i + 1 : 0; j < ys.length; j++) {
      const a = xs[i], b = ys[j];
      if (same !== undefined && (a.person === b.person) !== same) continue;
      out.push({
        d: (dot(a.dlib, b.dlib) - zd.mean) / zd.sd, r: (dot(a.faceres, b.faceres) - zr.mean) / zr.sd,
        nd: asn(a, b, 'dlib'), nr: asn(a, b, 'faceres'), inn: a.in && b.in, pa: a.person, pb: b.person,
      });
    }
  return out;
}
let eaGen = comparisons(ea, ea, true), eaImp = comparisons(ea, ea, false);
let eaB = comparisons(ea, B), bImp = comparisons(B, B);
let orlGen = comparisons(orl, orl, true), orlImp = comparisons(orl, orl, false);
const inFolds = (c, folds) => folds.has(foldOf.get(c.pa)) && (c.pb === undefined || folds.has(foldOf.get(c.pb)));
const sources = (keep) => [bImp, eaImp.filter(keep), eaB.filter(keep)];
const all = () => true;

// --- 2. the scorers, their weights and thresholds, from a set of people ------
// A scorer is built from the training people: {score(c), t: {level: threshold}}.
const fusedOf = (w) => (c) => w * c.d + (1 - w) * c.r;
const normOf = (w) => (c) => w * c.nd + (1 - w) * c.nr;
const thresholds = (f, keep) => Object.fromEntries(Object.entries(FAR_TARGET).map(([l, far]) =>
  [l, levelThreshold(sources(keep).map((s) => s.filter(keep).map(f)), far)]));
// The weight: the highest mean TAR at FAR 1e-4, 3e-4, 1e-3, 3e-3 and 1e-2 on the
// training people (a stretch of the ROC curve is steadier than one point of
// it); among the weights within half a point of the best, the lowest EER.
function pickWeight(make, keep) {
  const rows = WEIGHTS.map((w) => {
    const f = make(w), gen = eaGen.filter(keep).map(f);
    const pool = sources(keep).map((s) => s.filter(keep).map(f)).flat();
    const tar = mean([1e-4, 3e-4, 1e-3, 3e-3, 1e-2].map((far) => acceptRate(gen, thresholdAt(pool, far))));
    return { w, tar, eer: eer(gen, eaImp.filter(keep).map(f)) };
  });
  const top = Math.max(...rows.map((r) => r.tar));
  return rows.filter((r) => r.tar >= top - 0.005).sort((a, b) => a.eer - b.eer)[0].w;
}
function build(name, train) {
  const keep = (c) => inFolds(c, train);
  if (name === 'dlib') return { score: (c) => c.d, t: thresholds((c) => c.d, keep), weight: 1 };
  const wf = pickWeight(fusedOf, keep), tf = thresholds(fusedOf(wf), keep);
  if (name === 'fused') return { score: fusedOf(wf), t: tf, weight: wf };
  // normalised where both faces are in the cohort's domain; elsewhere the
  // fused score, mapped linearly onto the normalised scale so that its two
  // thresholds land on the normalised ones (one scale for the ROC numbers;
  // eid itself compares the fused score with the fused thresholds)
  const inKeep = (c) => c.inn && keep(c);
  const wn = pickWeight(normOf, inKeep), tn = thresholds(normOf(wn), inKeep);
  const slope = (tn.full - tn.lightweight) / (tf.full - tf.lightweight);
  const f = fusedOf(wf), n = normOf(wn);
  return { score: (c) => c.inn ? n(c) : tn.lightweight + (f(c) - tf.lightweight) * slope, t: tn, weight: wn, fusedWeight: wf };
}
const allFolds = new Set([...Array(FOLDS).keys()]);
const names = ['dlib', 'fused', 'fused_norm'];
const built = Object.fromEntries(names.map((n) => [n, build(n, allFolds)]));
const weight = { fused: built.fused.weight, fused_norm: built.fused_norm.weight };
const threshold = Object.fromEntries(names.map((n) => [n, built[n].t]));

// held-out results: for each fold, weights and thresholds from the others
function crossValidate(name) {
  const rows = [], held = { gen: [], imp: [], acc: {}, fa: {} };
  for (let k = 0; k < FOLDS; k++) {
    const train = new Set([...allFolds].filter((i) => i !== k)), test = new Set([k]);
    const s = build(name, train);
    const gen = eaGen.filter((c) => inFolds(c, test)).map(s.score), imp = eaImp.filter((c) => inFolds(c, test)).map(s.score);
    const row = { fold: k, weight: name === 'dlib' ? null : s.weight, genuine: gen.length, impostor: imp.length, eer: eer(gen, imp) };
    for (const level of Object.keys(FAR_TARGET)) {
      const t = s.t[level];
      row[level] = { threshold: t, tar: acceptRate(gen, t), far: acceptRate(imp, t) };
      held.acc[level] = (held.acc[level] || 0) + gen.filter((x) => x >= t).length;
      held.fa[level] = (held.fa[level] || 0) + imp.filter((x) => x >= t).length;
    }
    held.gen.push(...gen);
    held.imp.push(...imp);
    rows.push(row);
  }
  return {
    folds: rows, held_out: {
      genuine: held.gen.length, impostor: held.imp.length, eer: eer(held.gen, held.imp),
      ...Object.fromEntries(Object.keys(FAR_TARGET).map((l) => [l, { tar: held.acc[l] / held.gen.length, far: held.fa[l] / held.imp.length }])),
    },
  };
}
const cv = Object.fromEntries(names.map((n) => [n, crossValidate(n)]));

// --- 3. what the thresholds do, per scorer and level ------------------------
const measured = {};
for (const n of names) {
  const f = built[n].score, src = sources(all).map((s) => s.map(f));
  measured[n] = Object.fromEntries(Object.keys(FAR_TARGET).map((l) => {
    const t = threshold[n][l];
    return [l, {
      far_all_impostors: acceptRate(src.flat(), t), far_cohort: acceptRate(src[0], t),
      far_dev_east_asian: acceptRate(src[1], t), far_dev_x_cohort: acceptRate(src[2], t),
      far_orl: acceptRate(orlImp.map(f), t),
      frr_dev_east_asian: 1 - acceptRate(eaGen.map(f), t), frr_dev_orl: 1 - acceptRate(orlGen.map(f), t),
    }];
  }));
}
const outOfDomain = { dev_east_asian: ea.filter((x) => !x.in).length, cohort_b: B.filter((x) => !x.in).length, orl: orl.filter((x) => !x.in).length };
// stability: thresholds set on half of B's pairs, FAR on the other half's
const B1 = B.filter((_, i) => i % 2 === 0), B2 = B.filter((_, i) => i % 2 === 1);
const b1Imp = comparisons(B1, B1), b2Imp = comparisons(B2, B2);
const stability = {};
for (const n of names) {
  const f = built[n].score, a = b1Imp.map(f), b = b2Imp.map(f);
  stability[n] = Object.fromEntries(Object.entries(FAR_TARGET).map(([l, far]) => [l, { set_on: a.length, threshold: thresholdAt(a, far), far_on_other_half: acceptRate(b, thresholdAt(a, far)) }]));
}

// --- 4. ablation on one pool: B's pairs, dev EA cross-person, dev EA x B ------
function ablate(name, f, note = '', gen = eaGen) {
  const pool = sources(all).map((s) => s.map(f)).flat(), g = gen.map(f);
  const pf = (same) => pairFile.filter((p) => p.same === same).map((p) => f(comparisons([byPath.get(p.a)], [byPath.get(p.b)])[0]));
  const t3 = thresholdAt(pool, 1e-3);
  return {
    name, note, eer_pairs_file: eer(pf('1'), pf('0')), eer_all: eer(g, eaImp.map(f)),
    tar_1e3: acceptRate(g, t3), tar_1e4: acceptRate(g, thresholdAt(pool, 1e-4)),
    eer_orl: eer(orlGen.map(f), orlImp.map(f)), far_orl: acceptRate(orlImp.map(f), t3),
  };
}
const ablation = [
  ablate('reference: dlib ResNet, cosine (= its z-score)', built.dlib.score),
  ablate('faceres alone (224 aligned chip, BGR - mean, flip)', (c) => c.r),
  ablate(`fused: ${weight.fused} z(dlib) + ${(1 - weight.fused).toFixed(1)} z(faceres)`, built.fused.score),
  ablate(`dlib + adaptive score normalisation (cohort A, top ${COHORT_K}), no domain gate`, (c) => c.nd),
  ablate(`fused + normalisation, ${weight.fused_norm} / ${(1 - weight.fused_norm).toFixed(1)}, no domain gate`, normOf(weight.fused_norm)),
  ablate('**fused + normalisation, fused outside the cohort\'s domain (shipped)**', built.fused_norm.score),
];
{
  const good = ea.filter((x) => x.qok);
  ablation.push(ablate('the shipped scorer, photos failing the capture quality checks refused', built.fused_norm.score,
    `${ea.length - good.length} of ${ea.length} photos refused`, comparisons(good, good, true)));
}
for (const k of [20, 100]) { // K, with weights and thresholds rebuilt for it
  gate = prepare(k);
  [eaGen, eaImp, eaB, bImp, orlGen, orlImp] = [comparisons(ea, ea, true), comparisons(ea, ea, false), comparisons(ea, B), comparisons(B, B), comparisons(orl, orl, true), comparisons(orl, orl, false)];
  ablation.push(ablate(`the shipped scorer with the top ${k} instead of ${COHORT_K}`, build('fused_norm', allFolds).score));
}
gate = prepare(COHORT_K);
[eaGen, eaImp, eaB, bImp, orlGen, orlImp] = [comparisons(ea, ea, true), comparisons(ea, ea, false), comparisons(ea, B), comparisons(B, B), comparisons(orl, orl, true), comparisons(orl, orl, false)];
// two photos at enrolment (the register photo and the enrolment capture):
// each probe scored against both, the mean of the two scores
const byPerson = new Map();
for (const x of ea) byPerson.set(x.person, [...(byPerson.get(x.person) || []), x]);
const enrolled = [...byPerson.values()].filter((xs) => xs.length >= 3);
function galleryRows(name, f, two, qgate = false) {
  const gen = [], imp = [];
  const sc = (p, g) => f(comparisons([p], [g])[0]);
  const score = (p, g) => two ? (sc(p, g[0]) + sc(p, g[1])) / 2 : sc(p, g[0]);
  for (const xs of enrolled) {
    const g = xs.slice(0, 2);
    for (const ys of enrolled) for (const probe of ys.slice(2)) {
      if (qgate && !probe.qok) continue;
      (ys === xs ? gen : imp).push(score(probe, g));
    }
    for (const probe of B) imp.push(score(probe, g)); // people never enrolled
  }
  return { name, genuine: gen.length, impostor: imp.length, eer: eer(gen, imp), tar_1e3: acceptRate(gen, thresholdAt(imp, 1e-3)), tar_1e4: acceptRate(gen, thresholdAt(imp, 1e-4)) };
}
const gallery = [
  galleryRows('dlib, one enrolment photo', built.dlib.score, false), galleryRows('dlib, two enrolment photos', built.dlib.score, true),
  galleryRows('shipped scorer, one enrolment photo', built.fused_norm.score, false),
  galleryRows('shipped scorer, two enrolment photos (shipped)', built.fused_norm.score, true),
  galleryRows('the same, probes failing the quality checks refused (shipped)', built.fused_norm.score, true, true),
];

// --- output ---------------------------------------------------------------
const cohort = {
  rule: 'the files of manifest.csv in name order at even positions (0, 2, 4, ...), less any where no face is found',
  n: A.length, k: COHORT_K, digest: createHash('sha256').update(filesA.join('\n')).digest('hex'),
  gate: { ...gate, quantile: GATE_QUANTILE, out_of_domain: outOfDomain },
};
// the id names the numbers the services decide with, so it changes when they do
const digest = createHash('sha256').update(JSON.stringify([zd, zr, weight, cohort, FAR_TARGET, threshold])).digest('hex');
const cal = {
  id: `east-asian-${digest.slice(0, 8)}`,
  population: 'East Asian',
  data: `normalisation: ${A.length} faces of ../shared/faces/cohort (half A); impostors: ${bImp.length} pairs of the other half, ${eaImp.length} dev East-Asian cross-person pairs, ${eaB.length} dev x other half; genuine: ${eaGen.length} dev East-Asian pairs (weights only)`,
  cohort, dlib: zd, faceres: zr, weight, far_target: FAR_TARGET, threshold, measured,
  cross_validation: cv, stability, failure_to_acquire: fta,
  ablation, gallery,
};
writeFileSync(OUT, JSON.stringify(cal, null, 2) + '\n');

const md = [];
md.push(`Calibration \`${cal.id}\` (written to ${OUT}).`, '');
md.push(`Normalisation cohort: ${A.length} faces, top ${COHORT_K}. z-normalisation on its ${A.length * (A.length - 1) / 2} pairs: dlib mean ${zd.mean} sd ${zd.sd}; faceres mean ${zr.mean} sd ${zr.sd}. Weight of dlib: fused ${weight.fused}, fused + normalisation ${weight.fused_norm}. Domain gate (K best cohort cosines on average at least): dlib ${gate.dlib}, faceres ${gate.faceres}; outside it: ${outOfDomain.dev_east_asian} of ${ea.length} dev EA faces, ${outOfDomain.cohort_b} of ${B.length} cohort B faces, ${outOfDomain.orl} of ${orl.length} ORL faces.`, '');
md.push('| scorer | level | target FAR | threshold | FAR all EA impostors | FAR cohort B | FAR dev EA | FAR dev x B | FRR dev EA | FAR ORL | FRR ORL |', '|---|---|---|---|---|---|---|---|---|---|---|');
for (const s of names)
  for (const l of Object.keys(FAR_TARGET)) {
    const m = measured[s][l];
    md.push(`| ${s} | ${l} | ${FAR_TARGET[l]} | ${threshold[s][l].toFixed(4)} | ${sci(m.far_all_impostors)} | ${sci(m.far_cohort)} | ${sci(m.far_dev_east_asian)} | ${sci(m.far_dev_x_cohort)} | ${pct(m.frr_dev_east_asian)} | ${sci(m.far_orl)} | ${pct(m.frr_dev_orl)} |`);
  }
md.push('', 'Cross-validation over people (5 folds; weight and thresholds chosen without the held-out people):', '');
md.push('| scorer | fold | weight | genuine | impostor | EER | TAR / FAR lightweight | TAR / FAR full |', '|---|---|---|---|---|---|---|---|');
for (const [s, r] of Object.entries(cv)) {
  for (const f of r.folds) md.push(`| ${s} | ${f.fold} | ${f.weight ?? ''} | ${f.genuine} | ${f.impostor} | ${pct(f.eer)} | ${pct(f.lightweight.tar)} / ${sci(f.lightweight.far)} | ${pct(f.full.tar)} / ${sci(f.full.far)} |`);
  const h = r.held_out;
  md.push(`| **${s}** | **all held out** | | ${h.genuine} | ${h.impostor} | **${pct(h.eer)}** | **${pct(h.lightweight.tar)}** / ${sci(h.lightweight.far)} | **${pct(h.full.tar)}** / ${sci(h.full.far)} |`);
}
md.push('', 'Thresholds set on one half of cohort B, FAR on the other half:', '');
for (const s of names) md.push(`- ${s}: ` + Object.entries(stability[s]).map(([l, v]) => `${l} ${v.threshold.toFixed(4)} → FAR ${sci(v.far_on_other_half)} (target ${FAR_TARGET[l]})`).join('; '));
md.push('', `Ablation (impostors: B's pairs, dev EA cross-person pairs, dev EA x B; genuine: all ${eaGen.length} dev EA pairs; "pairs file" = dev/pairs/east_asian_web.csv, 363 + 363 pairs):`, '');
md.push('| variant | EER pairs file | EER all dev EA pairs | TAR @ FAR 1e-3 | TAR @ FAR 1e-4 | EER ORL | FAR of ORL impostors at the EA 1e-3 threshold | note |', '|---|---|---|---|---|---|---|---|');
for (const r of ablation) md.push(`| ${r.name} | ${pct(r.eer_pairs_file, 2)} | ${pct(r.eer_all, 2)} | ${pct(r.tar_1e3)} | ${pct(r.tar_1e4)} | ${pct(r.eer_orl, 2)} | ${sci(r.far_orl)} | ${r.note} |`);
md.push('', `Enrolment with one or two photos (${enrolled.length} dev EA people with 3+ photos: photos 1-2 enrolled, the rest probes; impostor probes also from cohort B):`, '');
md.push('| gallery | genuine | impostor | EER | TAR @ FAR 1e-3 | TAR @ FAR 1e-4 |', '|---|---|---|---|---|---|');
for (const r of gallery) md.push(`| ${r.name} | ${r.genuine} | ${r.impostor} | ${pct(r.eer, 2)} | ${pct(r.tar_1e3)} | ${pct(r.tar_1e4)} |`);
md.push('', `Failure to acquire: dev ${fta.dev} of ${labels.length}, cohort ${fta.cohort} of ${cohFiles.length}.`);
console.log(md.join('\n'));
