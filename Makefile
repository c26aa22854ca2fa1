# quantbench — plain Makefile. `make run` and `make test` do all set-up on a fresh
# Debian/Ubuntu machine: scripts/setup.sh installs packages and finds or builds
# llama.cpp (cached under ~/.cache/quantbench), then writes build/llama.mk.

SHELL := /bin/bash
CC ?= cc
CXX ?= c++
BUILD ?= build
V ?= 0

WARN := -Wall -Wextra -Wpedantic -Wstrict-prototypes -Wvla -Wformat-security -Wwrite-strings
ifeq ($(CI),true)
WARN += -Werror
endif
OPT ?= -O2 -g
SAN ?=
CFLAGS_ALL = -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN) $(CFLAGS)

# ---------------------------------------------------------------- llama.cpp
LLAMA_MK := build/llama.mk
# redo the set-up when its output is missing or points at a build that is gone
ifneq ($(MAKECMDGOALS),clean)
ifneq ($(MAKECMDGOALS),check-style)
NEED_SETUP := $(shell [ -f $(LLAMA_MK) ] && d=$$(sed -n 's/^LLAMA_LIBDIR := //p' $(LLAMA_MK)) && \
                ls $$d/libllama.so* >/dev/null 2>&1 && echo no || echo yes)
ifeq ($(NEED_SETUP),yes)
$(shell rm -f $(LLAMA_MK))
$(info setup: running scripts/setup.sh)
SETUP_RC := $(shell bash scripts/setup.sh >&2; echo $$?)
ifneq ($(SETUP_RC),0)
$(error scripts/setup.sh failed (exit $(SETUP_RC)))
endif
endif
-include $(LLAMA_MK)
endif
endif

DEFS := -DQB_LLAMA_COMMIT='"$(LLAMA_BUILD_COMMIT)"' -DQB_LLAMA_BUILD_NUMBER=$(LLAMA_BUILD_NUMBER) \
        -DQB_DEFAULT_VOCAB='"$(if $(LLAMA_SRCDIR),$(LLAMA_SRCDIR)/models/ggml-vocab-llama-spm.gguf)"'
# the C++ shim over llama.cpp's staging header (exact memory breakdown) needs its source tree
ifneq ($(wildcard $(LLAMA_SRCDIR)/src/llama-ext.h),)
EXT_OBJ := $(BUILD)/obj/src/engine/llama_ext.o
DEFS += -DQB_HAVE_LLAMA_EXT=1
endif
LIBS := -L$(LLAMA_LIBDIR) -Wl,-rpath,$(LLAMA_LIBDIR) -lllama -lggml -lggml-base -lcjson -lsqlite3 -lcurl -lmicrohttpd -lm -lpthread

# ---------------------------------------------------------------- sources
SRC := $(shell find src -name '*.c' | sort)
LIB_SRC := $(filter-out src/main.c src/engine/llama.c,$(SRC))
# the dashboard's front-end (web/: README "The dashboard"), embedded at build time
WEB_ASSETS := app.js=web/app.js app.css=web/app.css \
              uPlot.iife.min.js=web/node_modules/uplot/dist/uPlot.iife.min.js \
              uPlot.min.css=web/node_modules/uplot/dist/uPlot.min.css
WEB_FILES := $(foreach a,$(WEB_ASSETS),$(lastword $(subst =, ,$(a))))
GEN_SRC := $(BUILD)/gen/dash_assets.c
OBJ := $(SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/dash_assets.o
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/dash_assets.o
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)

QB := $(BUILD)/quantbench
UNIT := $(BUILD)/test_unit

.PHONY: all run test unit cli asan fuzz check-style clean demo

all: $(QB) $(UNIT)

$(BUILD)/obj/%.o: %.c $(LLAMA_MK) Makefile
	@mkdir -p $(dir $@)
	$(if $(filter 1,$(V)),,@echo "  CC $<";) $(CC) $(CFLAGS_ALL) $(LLAMA_CFLAGS) $(DEFS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.cpp $(LLAMA_MK) Makefile
	@mkdir -p $(dir $@)
	$(if $(filter 1,$(V)),,@echo "  CXX $<";) $(CXX) -std=c++17 $(OPT) -Wall -Wextra $(SAN) $(CXXFLAGS) $(LLAMA_CFLAGS) -I$(LLAMA_SRCDIR)/src -MMD -MP -c $< -o $@

# uPlot comes from npm, pinned by web/package-lock.json (scripts/setup.sh installs it too)
WEB_STAMP := web/node_modules/.qb-installed
$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
web/node_modules/uplot/dist/%: $(WEB_STAMP)
	@test -f $@ || { echo "npm ci left no $@"; exit 1; }

$(GEN_SRC): $(WEB_FILES) scripts/embed_assets.py
	@mkdir -p $(dir $@)
	$(if $(filter 1,$(V)),,@echo "  GEN $@";) python3 scripts/embed_assets.py $@ $(WEB_ASSETS)

$(BUILD)/obj/gen/dash_assets.o: $(GEN_SRC) Makefile
	@mkdir -p $(dir $@)
	$(if $(filter 1,$(V)),,@echo "  CC $<";) $(CC) $(CFLAGS_ALL) -c $< -o $@

# the include directions of src/ (scripts/layers.sh): a violation fails the build
LAYERS_OK := $(BUILD)/layers.ok
$(LAYERS_OK): $(shell find src -name '*.[ch]' -o -name '*.cpp') scripts/layers.sh
	@mkdir -p $(dir $@)
	@bash scripts/layers.sh && touch $@

$(QB): $(LAYERS_OK) $(OBJ) $(EXT_OBJ)
	$(if $(filter 1,$(V)),,@echo "  LD $@";) $(CXX) $(SAN) $(LDFLAGS) -o $@ $(OBJ) $(EXT_OBJ) $(LIBS)

# unit tests: our modules with a fake engine; no llama.cpp, no model
$(UNIT): $(LAYERS_OK) $(LIB_OBJ) $(UNIT_OBJ)
	$(if $(filter 1,$(V)),,@echo "  LD $@";) $(CC) $(SAN) $(LDFLAGS) -o $@ $(LIB_OBJ) $(UNIT_OBJ) -lcjson -lsqlite3 -lcurl -lmicrohttpd -lm -lpthread

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- main job
run: $(QB)
	QB=$(QB) bash scripts/demo.sh

# ---------------------------------------------------------------- tests
test: $(QB) $(UNIT)
	QB=$(QB) UNIT=$(UNIT) LLAMA_BINDIR=$(LLAMA_BINDIR) QB_SANITIZED=$(if $(SAN),1,) bash tests/run.sh

asan:
	$(MAKE) BUILD=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
	    SAN='-fsanitize=address,undefined -fno-sanitize-recover=undefined' test

# libFuzzer targets for every parser of outside input (needs clang)
FUZZ_TARGETS := gguf gguf_header proto args kld import imatrix suite grade sse load hf merge h1
fuzz: $(GEN_SRC)
	@command -v clang >/dev/null || { echo "fuzz: clang not installed, skipped"; exit 0; }
	@mkdir -p $(BUILD)/fuzz
	@for t in $(FUZZ_TARGETS); do \
	  echo "  FUZZ $$t"; \
	  clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(LLAMA_CFLAGS) \
	    -o $(BUILD)/fuzz/$$t tests/fuzz/fuzz_$$t.c $(LIB_SRC) $(GEN_SRC) tests/unit/fake_engine.c \
	    -lcjson -lsqlite3 -lcurl -lmicrohttpd -lm -lpthread || exit 1; \
	  mkdir -p $(BUILD)/fuzz/corpus-$$t; \
	  $(BUILD)/fuzz/$$t -max_total_time=$${FUZZ_SECONDS:-30} -max_len=65536 \
	    $(BUILD)/fuzz/corpus-$$t tests/fuzz/seed-$$t >/dev/null 2>$(BUILD)/fuzz/$$t.log \
	    || { tail -40 $(BUILD)/fuzz/$$t.log; exit 1; }; \
	  tail -1 $(BUILD)/fuzz/$$t.log; \
	done

check-style:
	clang-format --dry-run -Werror $(SRC) $(UNIT_SRC)

clean:
	rm -rf build build-asan
