/* The loaded model's accessors and description. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

eid_model *nn_model_new(const char *path, const char *format)
{
	eid_model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	nn_graph_init(&m->g);
	m->path = strdup(path ? path : "");
	snprintf(m->format, sizeof(m->format), "%s", format);
	if (!m->path) {
		free(m);
		return NULL;
	}
	return m;
}

void eid_model_free(eid_model *m)
{
	if (!m)
		return;
	nn_graph_release(&m->g);
	free(m->path);
	free(m);
}

size_t eid_model_num_outputs(const eid_model *m)
{
	return (size_t)m->g.noutputs;
}

const char *eid_model_output_name(const eid_model *m, size_t i)
{
	return i < (size_t)m->g.noutputs ? m->g.output_names[i] : NULL;
}

int eid_model_input_shape(const eid_model *m, int64_t dims_out[6])
{
	const nn_shape *s = &m->g.nodes[m->g.input].shape;
	for (int i = 0; i < s->rank; i++)
		dims_out[i] = s->d[i];
	return s->rank;
}

/* a JSON string literal, escaped by jansson */
static void json_str(FILE *out, const char *s)
{
	json_t *j = json_string(s);
	if (!j || json_dumpf(j, out, JSON_ENCODE_ANY) != 0)
		fputs("\"\"", out); /* not UTF-8: an empty string rather than bad JSON */
	json_decref(j);
}

void eid_model_describe_json(const eid_model *m, FILE *out)
{
	const nn_graph *g = &m->g;
	const nn_node *in = &g->nodes[g->input];
	fprintf(out, "{\"model\":");
	json_str(out, m->path);
	fprintf(out, ",\"format\":\"%s\",\"inputs\":[{\"name\":", m->format);
	json_str(out, in->name);
	fprintf(out, ",\"shape\":[");
	for (int i = 0; i < in->shape.rank; i++)
		fprintf(out, "%s%lld", i ? "," : "", (long long)in->shape.d[i]);
	fprintf(out, "]}],\"outputs\":[");
	for (int i = 0; i < g->noutputs; i++) {
		fprintf(out, "%s{\"name\":", i ? "," : "");
		json_str(out, g->output_names[i]);
		fprintf(out, "}");
	}
	fprintf(out, "],\"nodes\":%d,\"source_ops\":{", g->n);
	for (int i = 0; i < g->src_ops_count; i++) {
		fprintf(out, "%s", i ? "," : "");
		json_str(out, g->src_ops[i].name);
		fprintf(out, ":%d", g->src_ops[i].count);
	}
	fprintf(out, "},\"executed_ops\":{");
	int counts[NN_OP_COUNT] = {0};
	for (int i = 0; i < g->norder; i++)
		counts[g->nodes[g->order[i]].op]++;
	int first = 1;
	for (int op = 0; op < NN_OP_COUNT; op++) {
		if (!counts[op])
			continue;
		fprintf(out, "%s\"%s\":%d", first ? "" : ",", nn_op_name((nn_op)op), counts[op]);
		first = 0;
	}
	fprintf(out, "},\"parameters\":%lld}\n", (long long)g->params);
}
