/* tests/jose/rfc_vectors.h — the published JOSE examples the tests and the
 * fuzz corpus build on. */
#ifndef EID_TESTS_JOSE_RFC_VECTORS_H
#define EID_TESTS_JOSE_RFC_VECTORS_H

/* RFC 7515 appendix A.3: the ES256 example key and JWS. */
#define A3_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define A3_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define A3_D "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
#define A3_JWS                                                                                     \
	"eyJhbGciOiJFUzI1NiJ9"                                                                     \
	".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb"       \
	"290Ijp0cnVlfQ"                                                                            \
	".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6N"     \
	"U1Q"

/* RFC 8037 appendix A.1 (key) and A.4 (JWS of "Example of Ed25519 signing"). */
#define A4_D "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
#define A4_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define A4_JWS                                                                                     \
	"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"                                 \
	".hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_"         \
	"MuM0KAg"

#endif
