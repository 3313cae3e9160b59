// Shared set-up for the eid development tools (golden.mjs, bench-tfjs.mjs).
//
// - starts TF.js 4.22 on the wasm backend with SIMD and exactly one thread, and
//   checks that this is really what runs (which .wasm binary was instantiated,
//   how many threads XNNPACK reports);
// - loads the human-models graph models straight from disk;
// - builds face-api's dlib ResNet-34 from its weights-only manifest, op by op as
//   in /work/shared/faces/REFERENCE-PIPELINE.md section 4 (note: 8 of its 117
//   tensors, the conv64_* filters, are stored as plain float32, not uint8);
// - loads the same dlib net through face-api itself (@vladmandic/face-api 1.7.15,
//   dist/face-api.node-wasm.js), and checks that face-api computes with this very
//   tfjs-core instance and wasm backend;
// - prepares the model inputs (reference vectors and deterministic resizes).
//
// Development only: nothing at run time of eid uses Node.js.

import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Load the CommonJS builds through one require so that core, converter and the
// wasm backend share a single tfjs-core instance (one engine, one registry).
const require = createRequire(import.meta.url);
export const tf = require('@tensorflow/tfjs-core');
const tfconv = require('@tensorflow/tfjs-converter');
const tfwasm = require('@tensorflow/tfjs-backend-wasm');

export const TOOLS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(TOOLS_DIR, '..');
export const SHARED_REF = path.resolve(ROOT, '../shared/faces/reference-vectors');

export const MODELS = ['blazeface', 'facemesh', 'faceres', 'antispoof', 'liveness', 'dlib', 'dlib-faceapi'];
export const INPUT_SIZE = { blazeface: 256, facemesh: 192, faceres: 224, antispoof: 128, liveness: 32, dlib: 150, 'dlib-faceapi': 150 };

// ---------------------------------------------------------------------------
// Backend

const WASM_DIST = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

function sha256(buf) {
	return createHash('sha256').update(buf).digest('hex');
}

// Starts the wasm backend: SIMD on, 1 thread. Returns a description of what
// actually runs; throws if it is not SIMD with one thread.
export async function initWasm() {
	// Record every wasm binary instantiated while the backend starts, so the
	// SIMD build can be identified by content rather than trusted from a flag.
	const seen = [];
	const origInstantiate = WebAssembly.instantiate;
	WebAssembly.instantiate = function (src, imports) {
		if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) {
			const bytes = ArrayBuffer.isView(src) ? Buffer.from(src.buffer, src.byteOffset, src.byteLength) : Buffer.from(src);
			seen.push(sha256(bytes));
		}
		return origInstantiate.call(this, src, imports);
	};
	const known = {};
	for (const name of WASM_BINARIES) known[sha256(fs.readFileSync(path.join(WASM_DIST, name)))] = name;

	// SIMD: detected by the backend (Node 20 has it); required below.
	if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('this Node.js has no wasm SIMD');
	// Threads: the backend never uses the threaded build in Node; make it explicit.
	tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
	tfwasm.setThreadsCount(1);
	const ok = await tf.setBackend('wasm');
	await tf.ready();
	WebAssembly.instantiate = origInstantiate;
	if (!ok || tf.getBackend() !== 'wasm') throw new Error('could not start the TF.js wasm backend');

	const binaries = seen.map((h) => known[h] || `unknown:${h.slice(0, 12)}`);
	const threads = tfwasm.getThreadsCount();
	const info = {
		backend: tf.getBackend(),
		wasm_binary: binaries.join(','),
		simd: binaries.length === 1 && binaries[0] === 'tfjs-backend-wasm-simd.wasm',
		threads,
		tfjs_core: tf.version_core,
		tfjs_converter: tfconv.version_converter,
		tfjs_backend_wasm: tfwasm.version_wasm,
	};
	if (!info.simd) throw new Error(`expected the SIMD wasm binary, instantiated: ${info.wasm_binary || 'none seen'}`);
	if (threads !== 1) throw new Error(`expected 1 thread, XNNPACK reports ${threads}`);
	return info;
}

// ---------------------------------------------------------------------------
// Files

export function readF32(file) {
	const b = fs.readFileSync(file);
	if (b.length % 4) throw new Error(`${file}: size ${b.length} is not a multiple of 4`);
	const out = new Float32Array(b.length / 4);
	for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
	return out;
}

export function writeF32(file, arr) {
	const b = Buffer.alloc(arr.length * 4);
	for (let i = 0; i < arr.length; i++) b.writeFloatLE(arr[i], i * 4);
	fs.writeFileSync(file, b);
}

// ---------------------------------------------------------------------------
// Graph models (human-models), read from disk through a custom IOHandler

function fileHandler(jsonPath) {
	return {
		load: async () => {
			const mj = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
			const dir = path.dirname(jsonPath);
			const specs = [];
			const shards = [];
			for (const group of mj.weightsManifest) {
				specs.push(...group.weights);
				for (const p of group.paths) shards.push(fs.readFileSync(path.join(dir, p)));
			}
			const all = Buffer.concat(shards);
			// a standalone ArrayBuffer (Buffer slices may share a larger pool)
			const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
			return {
				modelTopology: mj.modelTopology,
				weightSpecs: specs,
				weightData,
				format: mj.format,
				generatedBy: mj.generatedBy,
				convertedBy: mj.convertedBy,
				signature: mj.signature,
				userDefinedMetadata: mj.userDefinedMetadata,
			};
		},
	};
}

// Output names in the order the golden files use: the signature's order, or
// (blazeface has no signature) the Identity nodes in numeric order.
function outputNames(mj) {
	if (mj.signature && mj.signature.outputs) return Object.values(mj.signature.outputs).map((o) => o.name);
	const ids = mj.modelTopology.node.map((n) => n.name).filter((n) => /^Identity(_\d+)?$/.test(n));
	const num = (n) => (n === 'Identity' ? 0 : Number(n.slice('Identity_'.length)));
	return ids.sort((a, b) => num(a) - num(b));
}

export async function loadGraph(name) {
	const rel = `models/human-models/${name}.json`;
	const jsonPath = path.join(ROOT, rel);
	const mj = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
	const model = await tfconv.loadGraphModel(fileHandler(jsonPath));
	const outputs = outputNames(mj);
	return {
		name,
		modelPath: rel,
		outputs,
		// x: tf.Tensor4D; returns tensors in the order of `outputs`
		run: (x) => {
			const r = model.execute(x, outputs);
			return Array.isArray(r) ? r : [r];
		},
		dispose: () => model.dispose(),
	};
}

// ---------------------------------------------------------------------------
// dlib ResNet-34 (face-api weights), REFERENCE-PIPELINE.md section 4

const DLIB_REL = 'models/face-api/face_recognition_model-weights_manifest.json';
const DLIB_MEAN = [122.782, 117.001, 104.298];

function loadDlibParams() {
	const manifestPath = path.join(ROOT, DLIB_REL);
	const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
	const params = {};
	for (const group of manifest) {
		const buf = Buffer.concat(group.paths.map((p) => fs.readFileSync(path.join(path.dirname(manifestPath), p))));
		let off = 0;
		for (const w of group.weights) {
			const n = w.shape.reduce((a, b) => a * b, 1);
			const q = w.quantization;
			if (w.dtype !== 'float32') throw new Error(`${w.name}: dtype ${w.dtype}, expected float32`);
			const v = new Float32Array(n);
			if (q) {
				// uint8-quantised (109 of the 117 tensors): w = q*scale + min
				if (q.dtype !== 'uint8') throw new Error(`${w.name}: quantisation ${q.dtype} not handled`);
				if (off + n > buf.length) throw new Error(`${w.name}: past the end of the weights`);
				for (let i = 0; i < n; i++) v[i] = buf[off + i] * q.scale + q.min;
				off += n;
			} else {
				// plain little-endian float32 (the 8 conv64_* filters of face-api 1.7.15)
				if (off + 4 * n > buf.length) throw new Error(`${w.name}: past the end of the weights`);
				for (let i = 0; i < n; i++) v[i] = buf.readFloatLE(off + 4 * i);
				off += 4 * n;
			}
			params[w.name] = tf.tensor(v, w.shape, 'float32');
		}
		if (off !== buf.length) throw new Error(`dlib weights: ${buf.length - off} bytes left over`);
	}
	return params;
}

export function loadDlib() {
	const P = loadDlibParams();
	const mean = tf.tensor1d(DLIB_MEAN);
	const p = (n) => {
		if (!P[n]) throw new Error(`dlib: missing weight ${n}`);
		return P[n];
	};
	// conv2d + bias, then the affine "scale" layer
	const conv = (x, pre, stride, pad) => {
		const c = tf.add(tf.conv2d(x, p(`${pre}/conv/filters`), stride, pad), p(`${pre}/conv/bias`));
		return tf.add(tf.mul(c, p(`${pre}/scale/weights`)), p(`${pre}/scale/biases`));
	};
	const residual = (x, pre) => {
		const a = tf.relu(conv(x, `${pre}/conv1`, 1, 'same'));
		const b = conv(a, `${pre}/conv2`, 1, 'same');
		return tf.relu(tf.add(b, x));
	};
	const residualDown = (x, pre) => {
		const a = tf.relu(conv(x, `${pre}/conv1`, 2, 'valid'));
		let o = conv(a, `${pre}/conv2`, 1, 'same');
		let sc = tf.avgPool(x, 2, 2, 'valid');
		const dh = sc.shape[1] - o.shape[1];
		const dw = sc.shape[2] - o.shape[2];
		if (dh < 0 || dw < 0) throw new Error(`${pre}: residual branch larger than the shortcut`);
		if (dh || dw) o = tf.pad(o, [[0, 0], [0, dh], [0, dw], [0, 0]]); // bottom/right
		const dc = o.shape[3] - sc.shape[3];
		if (dc > 0) sc = tf.pad(sc, [[0, 0], [0, 0], [0, 0], [0, dc]]); // zero channels appended
		return tf.relu(tf.add(o, sc));
	};
	const forward = (x) =>
		tf.tidy(() => {
			let h = tf.div(tf.sub(x, mean), tf.scalar(255));
			h = tf.relu(conv(h, 'conv32_down', 2, 'valid')); // 150 -> 72
			h = tf.maxPool(h, 3, 2, 'valid'); // -> 35
			h = residual(h, 'conv32_1');
			h = residual(h, 'conv32_2');
			h = residual(h, 'conv32_3');
			h = residualDown(h, 'conv64_down'); // -> 17
			h = residual(h, 'conv64_1');
			h = residual(h, 'conv64_2');
			h = residual(h, 'conv64_3');
			h = residualDown(h, 'conv128_down'); // -> 8
			h = residual(h, 'conv128_1');
			h = residual(h, 'conv128_2');
			h = residualDown(h, 'conv256_down'); // -> 3, padded to 4
			h = residual(h, 'conv256_1');
			h = residual(h, 'conv256_2');
			h = residualDown(h, 'conv256_down_out'); // -> 1, padded to 2
			const pooled = tf.mean(h, [1, 2]); // [1,256]
			return tf.matMul(pooled, p('fc')); // [1,128]
		});
	return {
		name: 'dlib',
		modelPath: DLIB_REL,
		outputs: ['embedding'],
		run: (x) => [forward(x)],
		dispose: () => {
			for (const t of Object.values(P)) t.dispose();
			mean.dispose();
		},
	};
}

// ---------------------------------------------------------------------------
// face-api's own dlib net (@vladmandic/face-api 1.7.15, as its users run it)

const FACEAPI_MAIN = '@vladmandic/face-api/dist/face-api.node-wasm.js';
let faceapi = null;

// Loads face-api's wasm build (once). It brings no TF.js of its own: it
// require()s "@tensorflow/tfjs" and "@tensorflow/tfjs-backend-wasm" and re-exports
// both as `faceapi.tf`. Call it before initWasm() so that the backend is started,
// and checked, with everything face-api loads already registered.
export function requireFaceApi() {
	if (!faceapi) faceapi = require(FACEAPI_MAIN);
	return faceapi;
}

// Checks that face-api computes on the tfjs-core instance and the wasm backend
// that initWasm() set up and checked (one module each, one engine, wasm, 1 thread).
// Throws otherwise; returns a one-line description.
export function checkFaceApiTf(info) {
	const fa = requireFaceApi();
	const ftf = fa.tf;
	const faDir = path.dirname(require.resolve(FACEAPI_MAIN));
	const tfjsDir = path.dirname(require.resolve('@tensorflow/tfjs'));
	const coreFile = require.resolve('@tensorflow/tfjs-core');
	const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm');
	const problems = [];
	const same = (what, a, b) => {
		if (a !== b) problems.push(`${what}: ${a} != ${b}`);
	};
	// module files: the ones face-api and @tensorflow/tfjs load are ours
	same('tfjs-core seen from @tensorflow/tfjs', require.resolve('@tensorflow/tfjs-core', { paths: [tfjsDir] }), coreFile);
	same('tfjs-backend-wasm seen from face-api', require.resolve('@tensorflow/tfjs-backend-wasm', { paths: [faDir] }), wasmFile);
	// objects: the same module instances, hence the same engine and backend
	if (ftf.engine() !== tf.engine()) problems.push('face-api tf.engine() is not ours');
	if (ftf.Tensor !== tf.Tensor) problems.push('face-api tf.Tensor is not ours');
	if (ftf.setThreadsCount !== tfwasm.setThreadsCount) problems.push('face-api tfjs-backend-wasm module is not ours');
	same('face-api tf.getBackend()', ftf.getBackend(), 'wasm');
	same('face-api tf.getThreadsCount()', ftf.getThreadsCount(), 1);
	same('face-api tf.version_core', ftf.version_core, info.tfjs_core);
	if (!info.simd) problems.push('wasm backend is not the SIMD build');
	if (problems.length) throw new Error(`face-api does not run on the checked wasm backend: ${problems.join('; ')}`);
	return `face-api ${fa.version} tf ${ftf.version_core}: same tfjs-core instance and engine, backend=${ftf.getBackend()} simd=${info.simd} threads=${ftf.getThreadsCount()}`;
}

// face-api's FaceRecognitionNet, weights read from ../models/face-api with its
// own loadFromDisk. run() is async: computeFaceDescriptor() takes the tensor
// through face-api's input handling (toNetInput, pad to square, resize to 150
// if needed, cast, mean subtraction, /255), runs the net and reads the
// descriptor back (await data()); it returns a Float32Array(128).
export async function loadDlibFaceApi() {
	const fa = requireFaceApi();
	const net = new fa.FaceRecognitionNet();
	await net.loadFromDisk(path.join(ROOT, path.dirname(DLIB_REL)));
	return {
		name: 'dlib-faceapi',
		modelPath: DLIB_REL,
		outputs: ['descriptor'],
		async: true,
		run: async (x) => [await net.computeFaceDescriptor(x)],
		dispose: () => net.dispose(),
	};
}

export async function loadModel(name) {
	if (name === 'dlib') return loadDlib();
	if (name === 'dlib-faceapi') return loadDlibFaceApi();
	return loadGraph(name);
}

// ---------------------------------------------------------------------------
// Inputs

// Bilinear resize of an interleaved HxWxC float image to SxS (half-pixel
// centres, edge pixels repeated). Computed in doubles; only has to be
// deterministic, the result is written out with the golden files.
export function resizeBilinear(src, h, w, c, oh, ow) {
	const out = new Float32Array(oh * ow * c);
	const sy = h / oh;
	const sx = w / ow;
	for (let v = 0; v < oh; v++) {
		let y = (v + 0.5) * sy - 0.5;
		if (y < 0) y = 0;
		if (y > h - 1) y = h - 1;
		const y0 = Math.floor(y);
		const y1 = Math.min(y0 + 1, h - 1);
		const fy = y - y0;
		for (let u = 0; u < ow; u++) {
			let x = (u + 0.5) * sx - 0.5;
			if (x < 0) x = 0;
			if (x > w - 1) x = w - 1;
			const x0 = Math.floor(x);
			const x1 = Math.min(x0 + 1, w - 1);
			const fx = x - x0;
			for (let k = 0; k < c; k++) {
				const a = src[(y0 * w + x0) * c + k];
				const b = src[(y0 * w + x1) * c + k];
				const d = src[(y1 * w + x0) * c + k];
				const e = src[(y1 * w + x1) * c + k];
				out[(v * ow + u) * c + k] = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * d + fx * e);
			}
		}
	}
	return out;
}

// Mirror an interleaved HxWxC image left-right (column x -> W-1-x).
export function mirror(src, h, w, c) {
	const out = new Float32Array(src.length);
	for (let y = 0; y < h; y++)
		for (let x = 0; x < w; x++)
			for (let k = 0; k < c; k++) out[(y * w + (w - 1 - x)) * c + k] = src[(y * w + x) * c + k];
	return out;
}

// Input of `model` for reference case `sample` ('sample1' or 'orl_s3_03').
// Returns { data, shape, file (relative to the repository root), generated }.
// generated: true when the data is derived here and must be written to tests/golden.
export function makeInput(model, sample = 'sample1', goldenName = model) {
	const S = INPUT_SIZE[model];
	const shape = [1, S, S, 3];
	const shared = (f) => ({
		data: readF32(path.join(SHARED_REF, sample, f)),
		shape,
		file: `../shared/faces/reference-vectors/${sample}/${f}`,
		generated: false,
	});
	let r;
	if (model === 'blazeface') r = shared('det_input_pad0.f32');
	else if (model === 'facemesh') r = shared('mesh_input_pass1.f32');
	else if (model === 'dlib' || model === 'dlib-faceapi') r = shared('chip.f32');
	else {
		const chip = readF32(path.join(SHARED_REF, sample, 'chip.f32'));
		const data = resizeBilinear(chip, 150, 150, 3, S, S);
		for (let i = 0; i < data.length; i++) data[i] = data[i] / 255;
		r = { data, shape, file: `tests/golden/${goldenName}.input.f32`, generated: true };
	}
	const n = shape.reduce((a, b) => a * b, 1);
	if (r.data.length !== n) throw new Error(`${model}: input has ${r.data.length} values, want ${n}`);
	return r;
}
