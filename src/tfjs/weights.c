#include "weights.h"

#include <stdlib.h>
#include <string.h>

#include "eid/limits.h"
#include "eid/util.h"

eid_status tfjs_shape_from_json(json_t *arr, nn_shape *out, size_t *count_out, const char *what,
				eid_err *err)
{
	if (!json_is_array(arr))
		return eid_fail(err, EID_E_FORMAT, "'%s': shape is not an array", what);
	size_t rank = json_array_size(arr);
	if (rank > NN_MAX_RANK)
		return eid_fail(err, EID_E_FORMAT, "'%s': rank %zu (max %d)", what, rank, NN_MAX_RANK);
	size_t count = 1;
	out->rank = (int)rank;
	for (size_t i = 0; i < rank; i++) {
		json_t *v = json_array_get(arr, i);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return eid_fail(err, EID_E_FORMAT, "'%s': dimension %zu is not a size", what, i);
		json_int_t d = json_integer_value(v);
		if (eid_mul_size(count, (size_t)d, &count) != 0 ||
		    count > eid_limit(EID_LIMIT_MODEL_TENSOR_ELEMS))
			return eid_fail(err, EID_E_LIMIT, "'%s': more than %llu elements", what,
					(unsigned long long)eid_limit(EID_LIMIT_MODEL_TENSOR_ELEMS));
		out->d[i] = (int64_t)d;
	}
	*count_out = count;
	return EID_OK;
}

void tfjs_weights_release(tfjs_weights *ws)
{
	if (!ws)
		return;
	for (int i = 0; i < ws->n; i++) {
		free(ws->w[i].name);
		free(ws->w[i].f);
		free(ws->w[i].i);
	}
	free(ws->w);
	ws->w = NULL;
	ws->n = 0;
}

tfjs_weight *tfjs_weights_find(tfjs_weights *ws, const char *name)
{
	for (int i = 0; i < ws->n; i++)
		if (strcmp(ws->w[i].name, name) == 0)
			return &ws->w[i];
	return NULL;
}

static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
	if (exp == 0) {
		if (man == 0) {
			bits = sign;
		} else { /* subnormal: normalise */
			exp = 127 - 15 + 1;
			while (!(man & 0x400)) {
				man <<= 1;
				exp--;
			}
			bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
		}
	} else if (exp == 31) {
		bits = sign | 0x7f800000u | (man << 13);
	} else {
		bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
	}
	float f;
	memcpy(&f, &bits, sizeof(f));
	return f;
}

enum wkind { W_F32, W_I32, W_F16, W_U8, W_U16 };

/* A shard name must be a plain file name: no directories, no "..". */
static int safe_shard_name(const char *p)
{
	return *p && !strchr(p, '/') && !strchr(p, '\\') && strcmp(p, ".") && strcmp(p, "..") &&
	       strlen(p) < 256;
}

static eid_status load_group(json_t *group, size_t gi, const char *dir, tfjs_weights *out,
			     size_t *total_bytes, eid_err *err)
{
	json_t *paths = json_object_get(group, "paths"), *weights = json_object_get(group, "weights");
	if (!json_is_array(paths) || !json_is_array(weights) || json_array_size(paths) == 0)
		return eid_fail(err, EID_E_FORMAT, "weight group %zu needs 'paths' and 'weights' arrays",
				gi);
	if (json_array_size(paths) > 1024 || json_array_size(weights) > eid_limit(EID_LIMIT_MODEL_NODES))
		return eid_fail(err, EID_E_LIMIT, "weight group %zu has too many entries", gi);

	/* pass 1: validate every entry and add up the bytes it needs */
	size_t need = 0;
	for (size_t i = 0; i < json_array_size(weights); i++) {
		json_t *w = json_array_get(weights, i);
		const char *name = json_string_value(json_object_get(w, "name"));
		const char *dtype = json_string_value(json_object_get(w, "dtype"));
		if (!name || !dtype)
			return eid_fail(err, EID_E_FORMAT, "weight %zu of group %zu has no name or dtype",
					i, gi);
		nn_shape sh;
		size_t count, bytes;
		eid_status st = tfjs_shape_from_json(json_object_get(w, "shape"), &sh, &count, name, err);
		if (st)
			return st;
		json_t *q = json_object_get(w, "quantization");
		size_t esize;
		if (q) {
			const char *qd = json_string_value(json_object_get(q, "dtype"));
			if (!qd)
				return eid_fail(err, EID_E_FORMAT, "weight '%s': quantization without dtype",
						name);
			if (strcmp(dtype, "float32") != 0)
				return eid_fail(err, EID_E_UNSUPPORTED,
						"weight '%s': quantised dtype '%s' (only float32)", name, dtype);
			if (strcmp(qd, "uint8") == 0)
				esize = 1;
			else if (strcmp(qd, "uint16") == 0 || strcmp(qd, "float16") == 0)
				esize = 2;
			else
				return eid_fail(err, EID_E_UNSUPPORTED, "weight '%s': quantization '%s'",
						name, qd);
			if (strcmp(qd, "float16") != 0 &&
			    (!json_is_number(json_object_get(q, "scale")) ||
			     !json_is_number(json_object_get(q, "min"))))
				return eid_fail(err, EID_E_FORMAT,
						"weight '%s': quantization needs scale and min", name);
		} else if (strcmp(dtype, "float32") == 0 || strcmp(dtype, "int32") == 0) {
			esize = 4;
		} else {
			return eid_fail(err, EID_E_UNSUPPORTED, "weight '%s': dtype '%s'", name, dtype);
		}
		if (eid_mul_size(count, esize, &bytes) != 0 || need + bytes < need)
			return eid_fail(err, EID_E_LIMIT, "weight '%s' is too large", name);
		need += bytes;
	}

	/* read the shards */
	size_t have = 0;
	uint8_t *buf = NULL;
	for (size_t i = 0; i < json_array_size(paths); i++) {
		const char *p = json_string_value(json_array_get(paths, i));
		if (!p || !safe_shard_name(p)) {
			free(buf);
			return eid_fail(err, EID_E_FORMAT,
					"weight group %zu: shard path %zu is not a plain file name", gi, i);
		}
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", dir, p);
		uint8_t *shard;
		size_t len;
		size_t budget = eid_limit(EID_LIMIT_MODEL_WEIGHT_BYTES) - *total_bytes;
		eid_status st = eid_file_read(full, budget, &shard, &len, err);
		if (st) {
			free(buf);
			return st;
		}
		uint8_t *nb = realloc(buf, have + len + 1);
		if (!nb) {
			free(shard);
			free(buf);
			return eid_fail(err, EID_E_NOMEM, "out of memory reading '%s'", p);
		}
		buf = nb;
		memcpy(buf + have, shard, len);
		have += len;
		*total_bytes += len;
		free(shard);
	}
	if (have != need) {
		free(buf);
		return eid_fail(err, EID_E_FORMAT,
				"weight group %zu: shards hold %zu bytes, the manifest describes %zu", gi,
				have, need);
	}

	/* pass 2: decode */
	size_t off = 0;
	for (size_t i = 0; i < json_array_size(weights); i++) {
		json_t *w = json_array_get(weights, i);
		tfjs_weight *tw = &out->w[out->n];
		memset(tw, 0, sizeof(*tw));
		tw->name = strdup(json_string_value(json_object_get(w, "name")));
		eid_status st = tfjs_shape_from_json(json_object_get(w, "shape"), &tw->shape, &tw->count,
						     "weight", err);
		out->n++;
		if (!tw->name || st) {
			free(buf);
			return st ? st : eid_fail(err, EID_E_NOMEM, "out of memory");
		}
		const char *dtype = json_string_value(json_object_get(w, "dtype"));
		json_t *q = json_object_get(w, "quantization");
		const char *qd = q ? json_string_value(json_object_get(q, "dtype")) : NULL;
		enum wkind k = !q ? (strcmp(dtype, "int32") == 0 ? W_I32 : W_F32)
				  : strcmp(qd, "uint8") == 0  ? W_U8
				  : strcmp(qd, "uint16") == 0 ? W_U16
							      : W_F16;
		size_t n = tw->count ? tw->count : 1;
		if (k == W_I32)
			tw->i = malloc(n * sizeof(int64_t));
		else
			tw->f = malloc(n * sizeof(float));
		if (!tw->i && !tw->f) {
			free(buf);
			return eid_fail(err, EID_E_NOMEM, "out of memory decoding '%s'", tw->name);
		}
		double scale = q ? json_number_value(json_object_get(q, "scale")) : 0;
		double min = q ? json_number_value(json_object_get(q, "min")) : 0;
		for (size_t e = 0; e < tw->count; e++) {
			const uint8_t *p = buf + off;
			switch (k) {
			case W_F32:
				memcpy(&tw->f[e], p, 4);
				off += 4;
				break;
			case W_I32: {
				int32_t v;
				memcpy(&v, p, 4);
				tw->i[e] = v;
				off += 4;
				break;
			}
			case W_F16:
				tw->f[e] = half_to_float((uint16_t)(p[0] | p[1] << 8));
				off += 2;
				break;
			case W_U8:
				tw->f[e] = (float)(p[0] * scale + min);
				off += 1;
				break;
			case W_U16:
				tw->f[e] = (float)((p[0] | p[1] << 8) * scale + min);
				off += 2;
				break;
			}
		}
	}
	free(buf);
	return EID_OK;
}

eid_status tfjs_weights_load(json_t *manifest, const char *dir, tfjs_weights *out, eid_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_array(manifest))
		return eid_fail(err, EID_E_FORMAT, "weightsManifest is not an array");
	size_t total = 0;
	for (size_t g = 0; g < json_array_size(manifest); g++) {
		json_t *w = json_object_get(json_array_get(manifest, g), "weights");
		if (!json_is_array(w))
			return eid_fail(err, EID_E_FORMAT, "weight group %zu has no 'weights' array", g);
		total += json_array_size(w);
	}
	if (total > eid_limit(EID_LIMIT_MODEL_NODES))
		return eid_fail(err, EID_E_LIMIT, "%zu weights (max %llu)", total,
				(unsigned long long)eid_limit(EID_LIMIT_MODEL_NODES));
	out->w = calloc(total ? total : 1, sizeof(tfjs_weight));
	if (!out->w)
		return eid_fail(err, EID_E_NOMEM, "out of memory");
	size_t bytes = 0;
	for (size_t g = 0; g < json_array_size(manifest); g++) {
		eid_status st = load_group(json_array_get(manifest, g), g, dir, out, &bytes, err);
		if (st) {
			tfjs_weights_release(out);
			return st;
		}
	}
	return EID_OK;
}
