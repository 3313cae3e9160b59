// Times each eid model in TF.js 4.22, wasm backend, SIMD, 1 thread, on the same
// inputs as golden.mjs. Per model: 3 warm-up runs, then N timed runs; one run =
// execute + dataSync() of every output. dlib-faceapi is face-api's own
// implementation of dlib: one run = `await computeFaceDescriptor(x)`, which
// reads the descriptor back itself; its descriptor is checked once (untimed)
// against tests/golden/dlib.out0.f32. Prints one JSON line per model on
// stdout (progress and errors go to stderr):
//   {"engine":"tfjs-wasm","model":"blazeface","median_ms":12.345,"min_ms":11.9,"threads":1,"simd":true,"runs":20}
//
//   node bench-tfjs.mjs [--repeat N] [--models blazeface,dlib]

import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { tf, initWasm, loadModel, makeInput, readF32, requireFaceApi, checkFaceApiTf, MODELS, ROOT } from './tfjs-common.mjs';

const WARMUP = 3;
const FACEAPI_GOLDEN = 'tests/golden/dlib.out0.f32'; // dlib op by op, same chip
const FACEAPI_TOL = 1e-4;

function usage(msg) {
	if (msg) console.error(`bench-tfjs: ${msg}`);
	console.error(`usage: node bench-tfjs.mjs [--repeat N] [--models ${MODELS.join(',')}]`);
	process.exit(2);
}

function parseArgs(argv) {
	const opt = { repeat: 20, models: MODELS };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const value = () => {
			if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
			if (i + 1 >= argv.length) usage(`${a} needs a value`);
			return argv[++i];
		};
		if (a === '--repeat' || a.startsWith('--repeat=')) {
			const v = value();
			opt.repeat = Number(v);
			if (!Number.isInteger(opt.repeat) || opt.repeat < 1) usage(`bad --repeat '${v}'`);
		} else if (a === '--models' || a.startsWith('--models=')) {
			opt.models = value().split(',').filter(Boolean);
			for (const m of opt.models) if (!MODELS.includes(m)) usage(`unknown model '${m}'`);
			if (!opt.models.length) usage('--models is empty');
		} else if (a === '-h' || a === '--help') usage();
		else usage(`unknown argument '${a}'`);
	}
	return opt;
}

function median(v) {
	const s = [...v].sort((a, b) => a - b);
	const h = s.length >> 1;
	return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

const opt = parseArgs(process.argv.slice(2));
// face-api is loaded before the backend starts, so that initWasm() sets up and
// checks the backend with everything face-api registers already in place.
const withFaceApi = opt.models.includes('dlib-faceapi');
if (withFaceApi) requireFaceApi();
const info = await initWasm();
console.error(`tfjs ${info.tfjs_core} backend=${info.backend} binary=${info.wasm_binary} simd=${info.simd} threads=${info.threads}`);
if (withFaceApi) console.error(checkFaceApiTf(info));

// face-api's descriptor against the op-by-op golden output (once, untimed).
async function checkFaceApi(model, x) {
	const [d] = await model.run(x);
	const want = readF32(path.join(ROOT, FACEAPI_GOLDEN));
	if (d.length !== want.length) throw new Error(`dlib-faceapi: ${d.length} values, ${FACEAPI_GOLDEN} has ${want.length}`);
	let max = 0;
	for (let i = 0; i < d.length; i++) max = Math.max(max, Math.abs(d[i] - want[i]));
	const ok = max <= FACEAPI_TOL;
	console.error(`dlib-faceapi check: max abs diff vs ${FACEAPI_GOLDEN} = ${max.toExponential(3)} (tolerance ${FACEAPI_TOL}): ${ok ? 'ok' : 'MISMATCH'}`);
}

for (const name of opt.models) {
	const model = await loadModel(name);
	const input = makeInput(name);
	const x = tf.tensor(input.data, input.shape, 'float32');
	const once = () => {
		const t0 = performance.now();
		const outs = model.run(x);
		for (const o of outs) o.dataSync();
		const ms = performance.now() - t0;
		for (const o of outs) o.dispose();
		return ms;
	};
	// face-api: the result is already read back (a Float32Array), nothing to dispose
	const onceAsync = async () => {
		const t0 = performance.now();
		await model.run(x);
		return performance.now() - t0;
	};
	if (name === 'dlib-faceapi') await checkFaceApi(model, x);
	for (let i = 0; i < WARMUP; i++) model.async ? await onceAsync() : once();
	const times = [];
	for (let i = 0; i < opt.repeat; i++) times.push(model.async ? await onceAsync() : once());
	x.dispose();
	model.dispose();
	const line = {
		engine: 'tfjs-wasm',
		model: name,
		median_ms: Math.round(median(times) * 1000) / 1000,
		min_ms: Math.round(Math.min(...times) * 1000) / 1000,
		threads: info.threads,
		simd: info.simd,
		runs: opt.repeat,
	};
	console.log(JSON.stringify(line));
}
