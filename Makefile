# chakrawatch - Sentinel-2 canopy-loss and mining-scar monitoring for Napo.
#
#   make            build build/chakrawatch (OpenMP on)
#   make check      install missing Debian packages, build, run the whole test
#                   suite, then run it again under ASan/UBSan
#   make demo       run the main job on the generated demo data
#   make bench      full-tile benchmark against gdal_calc.py (not in check)
#   make killtest   30 kills at random moments of a night, each rerun compared byte for byte
#   make accuracy   the accuracy table over many seeds and lengths, and on two real
#                   windows of Napo (not in check; check runs its floors on two seeds
#                   and one window)
#   make OPENMP=0   build without OpenMP;  make SANITIZE=address,undefined
#   make kernels-check   kernel tests only; needs no GDAL
#   make install PREFIX=/usr/local   the binary and its man page (man/chakrawatch.1)
#   make fuzz       libFuzzer targets (config, tile decoder, AOI loader, scene metadata, review CSV, state files), FUZZ_SECONDS
#                   each (default 60); check runs a 10 s smoke of each

CC      ?= cc
OPENMP  ?= 1
SANITIZE ?=
OPT     ?= -O2
KERNEL_OPT ?= -O3 -fno-math-errno -fno-trapping-math
PKGS    := gdal proj libpng libzstd freetype2 libtiff-4 libdeflate sqlite3 libcrypto xlsxwriter

WARN := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
        -Wimplicit-fallthrough -Werror=vla -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) -Ikernels -Ipipeline

ifeq ($(OPENMP),1)
  OMPFLAGS := -fopenmp
  BUILD_SUFFIX :=
else
  OMPFLAGS := -Wno-unknown-pragmas
  BUILD_SUFFIX := -noomp
endif
ifneq ($(SANITIZE),)
  SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
  BUILD_SUFFIX := $(BUILD_SUFFIX)-san
endif
BUILD ?= build$(BUILD_SUFFIX)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  := $(CFLAGS_BASE) $(OMPFLAGS) $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(OMPFLAGS) $(SANFLAGS) $(EXTRA_LDFLAGS)

KERNEL_SRC := $(wildcard kernels/*.c)
PIPE_SRC   := $(filter-out pipeline/main.c,$(wildcard pipeline/*.c pipeline/*/*.c))
KERNEL_OBJ := $(KERNEL_SRC:%.c=$(BUILD)/%.o)
PIPE_OBJ   := $(PIPE_SRC:%.c=$(BUILD)/%.o)
HEADERS    := $(wildcard kernels/*.h pipeline/*.h pipeline/*/*.h tests/*.h)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# the commit the binary is built from, for provenance.json (rewritten only
# when it changes, so nothing rebuilds needlessly)
COMMIT := $(shell git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
$(shell mkdir -p $(BUILD) && printf '#define CW_COMMIT "%s"\n' '$(COMMIT)' > $(BUILD)/cw_commit.h.new && \
  (cmp -s $(BUILD)/cw_commit.h.new $(BUILD)/cw_commit.h || mv $(BUILD)/cw_commit.h.new $(BUILD)/cw_commit.h); \
  rm -f $(BUILD)/cw_commit.h.new)


# 'make' alone builds; install and the other targets are defined below
.DEFAULT_GOAL := all

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: check-scale install
install: $(BUILD)/chakrawatch
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/chakrawatch $(DESTDIR)$(PREFIX)/bin/chakrawatch
	install -m 644 man/chakrawatch.1 $(DESTDIR)$(PREFIX)/share/man/man1/chakrawatch.1

.PHONY: all check check-run kernels-check demo bench accuracy killtest fuzz fuzz-smoke fuzz-build deps deps-bench clean format
all: $(BUILD)/chakrawatch

# kernels are the hot loops: let GCC vectorise them fully
$(BUILD)/kernels/%.o: kernels/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KERNEL_OPT) -c $< -o $@

$(BUILD)/pipeline/%.o: pipeline/%.c $(HEADERS) VERSION
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DCW_VERSION='"$(VERSION)"' -I$(BUILD) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/pipeline/job/cw_verify.o: $(BUILD)/cw_commit.h

$(BUILD)/libck.a: $(KERNEL_OBJ)
	ar rcs $@ $^

$(BUILD)/libchakrawatch.a: $(PIPE_OBJ)
	ar rcs $@ $^

$(BUILD)/chakrawatch: $(BUILD)/pipeline/main.o $(BUILD)/libchakrawatch.a $(BUILD)/libck.a
	$(CC) $(LDFLAGS) $^ $(PKG_LIBS) -lm -o $@

$(BUILD)/test_kernels: tests/unit/test_kernels.c $(BUILD)/libck.a $(HEADERS)
	$(CC) $(CFLAGS) $< $(BUILD)/libck.a $(LDFLAGS) -lm -o $@

$(BUILD)/test_pipeline: tests/unit/test_pipeline.c $(BUILD)/libchakrawatch.a $(BUILD)/libck.a $(HEADERS)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $< $(BUILD)/libchakrawatch.a $(BUILD)/libck.a \
	  $(LDFLAGS) $(PKG_LIBS) -lm -o $@

$(BUILD)/decode_floor: tests/bench/decode_floor.c $(BUILD)/libchakrawatch.a $(BUILD)/libck.a
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $^ $(LDFLAGS) $(PKG_LIBS) -lm -o $@

# ---- fuzzing: clang's libFuzzer with ASan/UBSan, no OpenMP, its own objects
FUZZ_BUILD := build-fuzz
FUZZ_TARGETS := config tiletiff aoi scene csv state
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wno-unknown-pragmas \
              -fsanitize=fuzzer-no-link,address,undefined -Ikernels -Ipipeline
FUZZ_OBJ := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(KERNEL_SRC) $(PIPE_SRC))

$(FUZZ_BUILD)/%.o: %.c $(HEADERS) VERSION
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -DCW_VERSION='"$(VERSION)"' -DCW_COMMIT='"fuzz"' -DCK_NO_CLONES $(PKG_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	clang $(FUZZ_FLAGS) $(PKG_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJ) $(PKG_LIBS) -lm -o $@

fuzz-build: deps
	$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

fuzz: fuzz-build
	BUILD=$(FUZZ_BUILD) tests/fuzz/run_fuzz.sh

fuzz-smoke: fuzz-build
	BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=10 tests/fuzz/run_fuzz.sh

deps:
	@scripts/install-deps.sh

deps-bench:
	@scripts/install-deps.sh --bench

kernels-check: $(BUILD)/test_kernels
	$(BUILD)/test_kernels

# The whole suite: default build (with the scale-out tests on real Slurm
# and PostGIS servers), then the suite again under ASan/UBSan (one random
# kill instead of three; what does not depend on the build runs once).
check: deps
	$(MAKE) --no-print-directory OPENMP=0 kernels-check all
	$(MAKE) --no-print-directory check-run SCALE=1
	$(MAKE) --no-print-directory fuzz-build
	$(MAKE) --no-print-directory check-run SANITIZE=address,undefined OPT=-O1 FUZZ_SMOKE=$(FUZZ_BUILD) ONCE=0 KILL_TRIALS=1

check-run: $(BUILD)/chakrawatch $(BUILD)/test_kernels $(BUILD)/test_pipeline
	BUILD=$(BUILD) FUZZ_SMOKE=$(FUZZ_SMOKE) SCALE=$(SCALE) ONCE=$(ONCE) KILL_TRIALS=$(KILL_TRIALS) tests/run_tests.sh

# Slurm (munge, slurmctld, slurmd) and PostgreSQL + PostGIS, started by the
# test on loopback: the array job, four writers, kill -9 of a task.
check-scale: deps $(BUILD)/chakrawatch
	rm -rf $(BUILD)/scale && /usr/bin/python3 tests/scale/test_scale.py $(BUILD) $(BUILD)/scale

demo: deps $(BUILD)/chakrawatch
	BUILD=$(BUILD) scripts/demo.sh

killtest: deps $(BUILD)/chakrawatch
	rm -rf $(BUILD)/killtest && /usr/bin/python3 scripts/s2synth.py series $(BUILD)/killtest/series > /dev/null
	cd tests/integration && /usr/bin/python3 test_kill.py ../../$(BUILD) ../../$(BUILD)/killtest/series \
	    ../../$(BUILD)/killtest/work 30

ACC_SEEDS ?= 1,2,3,4,5,6,7,8
ACC_DATES ?= 5,10
accuracy: deps $(BUILD)/chakrawatch
	/usr/bin/python3 tests/accuracy/score.py $(BUILD) --seeds $(ACC_SEEDS) --dates $(ACC_DATES)
	/usr/bin/python3 tests/accuracy/score.py $(BUILD) --seeds $(ACC_SEEDS) --dates 40 --season 0.45
	for site in arajuno coca; do \
	    /usr/bin/python3 tests/accuracy/score.py $(BUILD) --seeds $(ACC_SEEDS) --dates 10 --site $$site || exit 1; done

bench: deps-bench $(BUILD)/chakrawatch $(BUILD)/decode_floor
	BUILD=$(BUILD) tests/bench/run_bench.sh

format:
	clang-format -i kernels/*.[ch] pipeline/*.[ch] pipeline/*/*.[ch] tests/*.h tests/unit/*.c tests/bench/*.c

clean:
	rm -rf build build-*
