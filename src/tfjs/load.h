/* tfjs/load.h — loaders behind eid_model_load (include/eid/nn.h). */
#ifndef EID_TFJS_LOAD_H
#define EID_TFJS_LOAD_H

#include <jansson.h>

#include "../nn/model.h"

/* Builds face-api's dlib ResNet-34 (REFERENCE-PIPELINE.md section 4) from its
 * weights-only manifest. */
EID_MUST_CHECK eid_status tfjs_load_dlib_resnet(json_t *manifest, const char *dir, eid_model *m,
						eid_err *err);

#endif
