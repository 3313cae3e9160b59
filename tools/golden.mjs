// Writes the golden outputs of every eid model, computed with TF.js 4.22 on the
// wasm backend (SIMD, 1 thread), into tests/golden/, and checks them against the
// shared reference vectors where those exist.
//
//   node golden.mjs           regenerate tests/golden/
//   node golden.mjs --check   recompute and compare with the files already there
//
// Per case <c>: <c>.json (index), <c>.out<i>.f32 (output i, raw little-endian
// float32, i following output_names), and <c>.input.f32 when the input is made
// here (faceres, antispoof, liveness); the others read their input from
// ../shared/faces/reference-vectors/. dlib cases also have <c>.flip.out0.f32,
// the net applied to the mirrored chip.

import fs from 'node:fs';
import path from 'node:path';
import { tf, initWasm, loadModel, makeInput, mirror, readF32, writeF32, ROOT, SHARED_REF } from './tfjs-common.mjs';

const CHECK = process.argv.includes('--check');
const GOLDEN_REL = 'tests/golden';
const GOLDEN = path.join(ROOT, GOLDEN_REL);

// case name, model, reference sample
const CASES = [
	['blazeface', 'blazeface', 'sample1'],
	['facemesh', 'facemesh', 'sample1'],
	['faceres', 'faceres', 'sample1'],
	['antispoof', 'antispoof', 'sample1'],
	['liveness', 'liveness', 'sample1'],
	['dlib', 'dlib', 'sample1'],
	['blazeface_orl', 'blazeface', 'orl_s3_03'],
	['dlib_orl', 'dlib', 'orl_s3_03'],
];

const log = (...a) => console.error(...a);

function maxAbsDiff(a, b) {
	if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
	let m = 0;
	for (let i = 0; i < a.length; i++) {
		const d = Math.abs(a[i] - b[i]);
		if (!(d <= m)) m = d; // NaN propagates
	}
	return m;
}

function sameBits(a, b) {
	if (a.length !== b.length) return false;
	const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
	const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
	for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
	return true;
}

// Runs the model on data twice; returns the outputs (Float32Array + shape) and
// fails if the two runs differ in any bit.
function runTwice(model, data, shape) {
	const once = () => {
		const x = tf.tensor(data, shape, 'float32');
		const outs = model.run(x);
		const r = outs.map((t) => ({ shape: t.shape, data: t.dataSync().slice() }));
		outs.forEach((t) => t.dispose());
		x.dispose();
		return r;
	};
	const a = once();
	const b = once();
	a.forEach((o, i) => {
		if (!sameBits(o.data, b[i].data)) throw new Error(`${model.name}: output ${i} differs between two identical runs`);
	});
	return a;
}

// det_raw [896,17]: the 512 anchors of the 16x16 grid (Identity, Identity_2)
// then the 384 of the 8x8 grid (Identity_1, Identity_3). Per anchor the shared
// file holds the logit FIRST, then the 16 regressors (column 0 = logit), although
// its README says "16 regressors + logit"; the numbers settle it (diff 0).
function blazefaceRaw(outs, names) {
	const get = (n) => outs[names.indexOf(n)].data;
	const raw = new Float32Array(896 * 17);
	const put = (reg, logit, rows, base) => {
		for (let r = 0; r < rows; r++) {
			raw[(base + r) * 17] = logit[r];
			for (let k = 0; k < 16; k++) raw[(base + r) * 17 + 1 + k] = reg[r * 16 + k];
		}
	};
	put(get('Identity_2'), get('Identity'), 512, 0);
	put(get('Identity_3'), get('Identity_1'), 384, 512);
	return raw;
}

// JSON with arrays of numbers (shapes) kept on one line.
function toJson(obj) {
	return JSON.stringify(obj, null, 2).replace(/\[[\s\d.,eE+-]*\]/g, (m) => m.replace(/\s+/g, '').replace(/,/g, ', ')) + '\n';
}

function l2(v) {
	let s = 0;
	for (const x of v) s += x * x;
	const n = Math.sqrt(s);
	return Float32Array.from(v, (x) => x / n);
}

const info = await initWasm();
log(`tfjs ${info.tfjs_core} backend=${info.backend} binary=${info.wasm_binary} simd=${info.simd} threads=${info.threads}`);
fs.mkdirSync(GOLDEN, { recursive: true });

let failures = 0;
const emit = (rel, data) => {
	const file = path.join(ROOT, rel);
	if (CHECK) {
		const old = readF32(file);
		const d = maxAbsDiff(old, data);
		const same = sameBits(old, Float32Array.from(data));
		log(`  ${rel}: ${same ? 'identical' : `max abs diff ${d.toExponential(3)}`}`);
		if (!same) failures++;
	} else writeF32(file, data);
};
const refCheck = (checks, what, mine, refFile, tol) => {
	const ref = readF32(path.join(SHARED_REF, refFile));
	const d = maxAbsDiff(mine, ref);
	const ok = d <= tol;
	checks.push({ output: what, reference: `../shared/faces/reference-vectors/${refFile}`, max_abs_diff: d, tolerance: tol, ok });
	log(`  vs ${refFile}: max abs diff ${d.toExponential(3)} (tolerance ${tol}) ${ok ? 'ok' : 'TOO LARGE'}`);
	if (!ok) failures++;
};

const models = {};
for (const [name, modelName, sample] of CASES) {
	log(`${name}: ${modelName} on ${sample}`);
	const model = (models[modelName] ||= await loadModel(modelName));
	const input = makeInput(modelName, sample, name);
	if (input.generated) emit(input.file, input.data);

	const outs = runTwice(model, input.data, input.shape);
	const files = outs.map((o, i) => `${GOLDEN_REL}/${name}.out${i}.f32`);
	outs.forEach((o, i) => emit(files[i], o.data));

	const checks = [];
	const index = {
		case: name,
		model: modelName,
		model_path: model.modelPath,
		input_file: input.file,
		input_shape: input.shape,
		input_dtype: 'float32',
		output_names: model.outputs,
		output_shapes: outs.map((o) => o.shape),
		output_order: model.outputs,
		output_files: files,
		tfjs_version: info.tfjs_core,
		backend: info.backend,
		wasm_binary: info.wasm_binary,
		simd: info.simd,
		threads: info.threads,
		reference_checks: checks,
	};

	if (modelName === 'blazeface') {
		refCheck(checks, 'det_raw [896,17] = rows [Identity | Identity_2] then [Identity_1 | Identity_3] (logit in column 0)', blazefaceRaw(outs, model.outputs), `${sample}/det_raw_pad0.f32`, 1e-4);
	} else if (modelName === 'facemesh') {
		refCheck(checks, 'Identity_2:0 as [468,3]', outs[model.outputs.indexOf('Identity_2:0')].data, `${sample}/mesh_raw_pass1.f32`, 1e-3);
	} else if (modelName === 'dlib') {
		const S = input.shape[1];
		const flipped = runTwice(model, mirror(input.data, S, S, 3), input.shape);
		const flipFile = `${GOLDEN_REL}/${name}.flip.out0.f32`;
		emit(flipFile, flipped[0].data);
		index.flip = {
			input_transform: `the same input mirrored: column x -> ${S - 1}-x`,
			output_files: [flipFile],
			output_shapes: [flipped[0].shape],
		};
		index.input_normalisation = 'done by the net: (x - [122.782, 117.001, 104.298]) / 255';
		refCheck(checks, 'embedding', outs[0].data, `${sample}/emb_raw.f32`, 1e-4);
		refCheck(checks, 'flip embedding', flipped[0].data, `${sample}/emb_raw_flip.f32`, 1e-4);
		const a = l2(outs[0].data);
		const b = l2(flipped[0].data);
		refCheck(checks, 'L2(L2(e1) + L2(e2))', l2(a.map((x, i) => x + b[i])), `${sample}/emb_final.f32`, 1e-5);
	}
	if (input.generated) index.input_recipe = `${sample}/chip.f32 (150x150x3, 0..255) bilinear-resized to ${input.shape[1]}x${input.shape[2]} (half-pixel centres, edges clamped), then /255`;

	const jsonRel = `${GOLDEN_REL}/${name}.json`;
	if (!CHECK) fs.writeFileSync(path.join(ROOT, jsonRel), toJson(index));
}
for (const m of Object.values(models)) m.dispose();

if (!CHECK) {
	const all = { cases: CASES.map(([n]) => n), tfjs_version: info.tfjs_core, backend: info.backend, simd: info.simd, threads: info.threads };
	fs.writeFileSync(path.join(GOLDEN, 'index.json'), toJson(all));
}
if (failures) {
	log(`${failures} check(s) failed`);
	process.exit(1);
}
log(CHECK ? 'golden files reproduced' : `golden files written to ${GOLDEN_REL}/`);
