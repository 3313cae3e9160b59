# eid — build, test and benchmark.
#   make            library + CLI at build/eid
#   make test       build and run every test (golden, unit, fuzz-corpus replay)
#   make test-san   the same under AddressSanitizer + UBSan (build in build-san/)
#   make test-web   the web pages end to end in headless Chromium (scripts/setup.sh --browser first)
#   make bench      benchmarks, side by side with TF.js wasm when tools/node_modules exists
#   make fuzz       libFuzzer binaries (clang) in build-fuzz/

SAN ?= 0
BUILD ?= $(if $(filter 1,$(SAN)),build-san,build)
CC ?= cc
# the shared data set, absolute: register files name photos relative to themselves
export EID_SHARED ?= $(abspath ../shared)
OPT ?= -O2
CFLAGS ?= $(OPT) -g
CFLAGS += -std=c11 -Wall -Wextra -Wshadow -Wno-unused-parameter -D_GNU_SOURCE -Iinclude -MMD -MP
ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
LDLIBS += -lXNNPACK -lpthreadpool -ljansson -ljpeg -lpng -lexif -lsodium -lcrypto -lmicrohttpd -lcurl -lsqlite3 -lqrencode -lpthread -lm

LIB_SRC := $(filter-out src/cli/%,$(wildcard src/*/*.c))
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/*/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
FUZZ_REPLAY := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/tests/fuzz/replay_%,$(FUZZ_SRC))

.PHONY: all test test-san test-web screenshots liveness-eval calibrate bench fuzz clean models
all: $(BUILD)/eid

$(BUILD)/libeid.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILD)/eid: $(CLI_OBJ) $(BUILD)/libeid.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the fused block's register tiles live in registers only when unrolled
$(BUILD)/src/nn/kernels_block.o $(BUILD)/src/nn/kernels_winograd.o $(BUILD)/src/nn/kernels_direct.o \
	$(BUILD)/src/nn/kernels_small.o $(BUILD)/src/nn/kernels_bf16.o \
	$(BUILD)/src/nn/kernels_fast.o: OPT := -O3

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libeid.a tests/test.h tests/refvec.h tests/tmpdir.h tests/face/engine.h tests/jose/rfc_vectors.h tests/api/fixture.h tests/api/burst.h tests/api/orl.h tests/api/call.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/libeid.a $(LDFLAGS) $(LDLIBS)

# Each fuzz target is also linked with a plain main() that replays its corpus.
$(BUILD)/tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/jose/rfc_vectors.h $(BUILD)/libeid.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests -o $@ $< tests/fuzz/replay.c $(BUILD)/libeid.a $(LDFLAGS) $(LDLIBS)

test: $(BUILD)/eid $(TEST_BIN) $(FUZZ_REPLAY)
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_BIN) $(FUZZ_REPLAY) tests/cli/test_cli.sh tests/cli/test_flows.sh

test-san:
	$(MAKE) SAN=1 OPT=-O1 test

# the pages against the real server; screenshots of every page in build/screenshots
test-web: $(BUILD)/eid
	@BUILD=$(BUILD) node tests/web/e2e.mjs

# the same, refreshing the screenshots of docs/ and the README
screenshots: $(BUILD)/eid
	@BUILD=$(BUILD) node tests/web/e2e.mjs --screenshots docs/screenshots

# APCER / BPCER of the liveness check on ../shared/faces/video-dev (docs/liveness.md)
liveness-eval: $(BUILD)/eid
	@sh tools/liveness-eval.sh $(BUILD)

# the East-Asian face calibration from ../shared/faces: thresholds per level into
# src/face/calibration.json, the tables of docs/calibration.md on stdout
calibrate: $(BUILD)/eid
	@rm -rf $(BUILD)/calibration
	@node tools/face-calibrate.mjs --shared $${EID_SHARED:-../shared} --eid $(BUILD)/eid \
		--cache $(BUILD)/calibration

bench: $(BUILD)/eid
	@BUILD=$(BUILD) sh tools/bench.sh

FUZZ_CFLAGS := -O1 -g -std=c11 -D_GNU_SOURCE -DEID_NO_TARGET_CLONES -Iinclude -Itests \
	-fsanitize=fuzzer,address,undefined
fuzz: $(patsubst tests/fuzz/fuzz_%.c,build-fuzz/fuzz_%,$(FUZZ_SRC))
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(LDLIBS)

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)
