/* eid/limits.h — every limit the engine enforces, in one table (house style 10).
 *
 * Each row: name, default, min, max. Inputs beyond a limit fail with
 * EID_E_LIMIT before anything is allocated from the size they claim.
 */
#ifndef EID_LIMITS_H
#define EID_LIMITS_H

#include <stdint.h>

#define EID_LIMITS(X)                                                                 \
	X(IMAGE_FILE_BYTES,   64u << 20,   1024u,   1u << 30) /* encoded image size */    \
	X(IMAGE_PIXELS,       40000000u,   1u,      400000000u) /* declared w*h */        \
	X(IMAGE_SIDE,         20000u,      1u,      65535u) /* declared width or height */\
	X(IMAGE_JPEG_SCANS,   100u,        1u,      10000u) /* progressive passes */      \
	X(MODEL_JSON_BYTES,   16u << 20,   1024u,   256u << 20) /* model.json size */     \
	X(MODEL_WEIGHT_BYTES, 512u << 20,  1024u,   2047u << 20) /* all shards */         \
	X(MODEL_NODES,        20000u,      1u,      1000000u) /* graph nodes */           \
	X(MODEL_TENSOR_ELEMS, 64u << 20,   1u,      1u << 30) /* one tensor */            \
	X(HTTP_BODY_BYTES,    1u << 20,    1024u,   256u << 20) /* body, auth routes */   \
	X(HTTP_BODY_BYTES_UNAUTH, 64u << 10, 1024u, 256u << 20) /* public routes */       \
	X(HTTP_REPLY_BYTES,   16u << 20,   1024u,   1u << 30) /* client reply */          \
	X(HTTP_HEADER_BYTES,  32u << 10,   4096u,   1u << 20) /* headers, per conn */     \
	X(HTTP_TIMEOUT_S,     30u,         1u,      3600u) /* idle or call, seconds */    \
	X(HTTP_CONNECTIONS,   256u,        1u,      65536u) /* open, per server */        \
	X(JSON_DEPTH,         32u,         1u,      1024u) /* nested arrays/objects */    \
	X(FACES_PER_IMAGE,    64u,         1u,      896u) /* detections kept */

typedef enum eid_limit_id {
#define EID_LIMIT_ENUM(name, def, lo, hi) EID_LIMIT_##name,
	EID_LIMITS(EID_LIMIT_ENUM)
#undef EID_LIMIT_ENUM
	EID_LIMIT_COUNT
} eid_limit_id;

/* Current value of a limit (the default unless changed). */
uint64_t eid_limit(eid_limit_id id);
/* Changes a limit; returns 0 on success, -1 if value is outside [min, max]. */
int eid_limit_set(eid_limit_id id, uint64_t value);
/* Name of a limit, e.g. "IMAGE_PIXELS". */
const char *eid_limit_name(eid_limit_id id);

#endif
