# pcts - PCAP time series.  GNU make.
#
#   make              build ./pcts (optimised)
#   make test         unit + end-to-end tests (add SANITIZE=1 for ASan+UBSan)
#   make demo         generate the sample capture and analyse it
#   make bench        throughput and peak memory against a read-only floor
#   make bench-big    a >10 GB capture streamed through a pipe, bounded memory
#   make CC=clang     any C11 compiler; gcc and clang are both warning-free
#   make WERROR=1     warnings are errors (CI)
#
# Every target that needs Debian packages first runs tools/deps.sh, which
# installs what is missing when run as root (and says what to install
# otherwise).

# The first rule below is not `all` (the ISA-L choice's rules come first).
.DEFAULT_GOAL := all

CC ?= cc
SANITIZE ?=
PKGS = libpcap zlib libzstd

ifeq ($(SANITIZE),1)
BUILD ?= build/san
OPT = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else
BUILD ?= build/rel
OPT = -O2 -g
endif

# The statistics, the scores and the output are loops over arrays that -O3
# vectorises: 8% fewer instructions in the statistics and scores, 10% in
# the output (callgrind, 1 M file, packet series); the statistics phase's
# median 0.384 to 0.367 s (10 M file, 6 alternated runs, a noisy hour).  The
# packet loops gained nothing from it and stay at -O2.  Results are the same bit
# for bit: ISO C mode keeps floating-point operations unfused and in order
# (-ffp-contract=off also for compilers whose default is to fuse).
ifneq ($(SANITIZE),1)
$(BUILD)/src/stats/%.o $(BUILD)/src/score/%.o $(BUILD)/src/output/%.o: OPT = -O3 -g
endif

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
ifeq ($(WERROR),1)
WARN += -Werror
endif
CFLAGS ?=
CFLAGS += -std=c11 -D_GNU_SOURCE -ffp-contract=off $(OPT) $(WARN) -MMD -MP
LDFLAGS ?=
LDFLAGS += $(filter -fsanitize=%,$(OPT))
LDLIBS = -lpcap -lz -lzstd -lpsl -lcrypto -lpthread -lm $(ISAL_LIBS)

# gzip input through ISA-L where Debian has it (libisal-dev, installed by
# tools/deps.sh on amd64 and arm64), else zlib (src/capture/source.c).
# Deferred (=): evaluated when a recipe runs, after deps installed it.
# `make ISAL=` builds with zlib alone.
ISAL = $(shell pkg-config --exists libisal 2>/dev/null && echo 1)
ISAL_CFLAGS = $(if $(ISAL),-DPCTS_HAVE_ISAL)
ISAL_LIBS = $(if $(ISAL),-lisal)
$(BUILD)/src/capture/source.o: CFLAGS += $(ISAL_CFLAGS)
# source.o is rebuilt when the choice changes (a stale object would not link)
$(BUILD)/src/capture/source.o: $(BUILD)/isal.choice
$(BUILD)/isal.choice: FORCE
	@mkdir -p $(dir $@)
	@echo '$(ISAL)' | cmp -s - $@ || echo '$(ISAL)' >$@
FORCE:

SRC = $(wildcard src/util/*.c src/capture/*.c src/decode/*.c src/flow/*.c src/group/*.c \
                 src/stats/*.c src/score/*.c src/names/*.c src/output/*.c \
                 src/pipeline/*.c)
OBJ = $(SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ = $(BUILD)/src/cli/main.o $(BUILD)/src/cli/options.o $(BUILD)/src/cli/hugepages.o

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test unit e2e demo bench bench-big bench-peers clean format lint fuzz fuzz-run FORCE
all: pcts

deps:
	@sh tools/deps.sh

pcts: $(BUILD)/pcts
	@if [ "$(SANITIZE)" != 1 ]; then cp $(BUILD)/pcts pcts; fi

$(BUILD)/pcts: $(OBJ) $(MAIN_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Makefile: a change of flags here rebuilds the objects
$(BUILD)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/pcapgen: tools/pcapgen.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(OBJ) $(LDFLAGS) $(LDLIBS) -lcmocka

# Fuzzing.  Replay drivers (no libFuzzer) run in `make test`; `make fuzz`
# builds the libFuzzer targets with clang; `make fuzz-run FUZZ_SECONDS=N`
# runs each for N seconds on a corpus seeded from generated captures and
# ../shared/pcaps (docs/robustness.md records the campaigns).
FUZZ_TARGETS = reader decode series names quic main
REPLAY_BIN = $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)
# fuzz_main.c includes src/cli/main.c (its main renamed): the rest of the
# CLI links beside it
FUZZ_CLI_SRC = src/cli/options.c src/cli/hugepages.c
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $^ $(LDFLAGS) $(LDLIBS)

# the whole CLI: main.c through fuzz_main.c, not main.o (a second main)
$(BUILD)/fuzz/replay_main: tests/fuzz/fuzz_main.c tests/fuzz/replay.c $(OBJ) \
                           $(FUZZ_CLI_SRC:%.c=$(BUILD)/%.o) src/cli/main.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $(filter-out src/cli/main.c,$^) $(LDFLAGS) $(LDLIBS)

fuzz: deps
	@mkdir -p build/fuzz
	@for t in $(FUZZ_TARGETS); do \
	  echo "clang libFuzzer target fuzz_$$t"; \
	  clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all $(ISAL_CFLAGS) -Isrc -o build/fuzz/fuzz_$$t tests/fuzz/fuzz_$$t.c $(SRC) \
	    $$([ $$t = main ] && echo $(FUZZ_CLI_SRC)) \
	    $(LDLIBS) || exit 1; \
	done

fuzz-run: fuzz $(BUILD)/pcapgen
	@sh tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS)

# The test suite: unit tests (cmocka), then end-to-end tests of the CLI on
# generated captures and, when ../shared/pcaps exists, on the reference
# captures.  The last line is "N passed, N failed".
test: deps $(BUILD)/pcts $(BUILD)/pcapgen $(UNIT_BIN) $(REPLAY_BIN)
	@sh tests/run.sh $(BUILD)

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

demo: deps $(BUILD)/pcts $(BUILD)/pcapgen
	@mkdir -p out
	$(BUILD)/pcapgen sample out/sample.pcap
	$(BUILD)/pcts -F table --top 12 out/sample.pcap

bench: deps $(BUILD)/pcts $(BUILD)/pcapgen $(BUILD)/floor $(BUILD)/memlat
	@sh tools/deps.sh bench
	@python3 bench/bench.py $(BUILD) $(BENCH_ARGS)

# A >10 GB capture streamed through a pipe (docs/performance.md).
bench-big: deps $(BUILD)/pcts $(BUILD)/pcapgen
	@sh bench/big.sh $(BUILD) $(BIG_PACKETS)

# pcts against the flow tools Debian packages, on one generated file.
bench-peers: deps $(BUILD)/pcts $(BUILD)/pcapgen
	@sh bench/peers.sh $(BUILD)

$(BUILD)/floor: bench/floor.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) -lm

$(BUILD)/memlat: bench/memlat.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

FORMAT_FILES = $(wildcard src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c \
                          tools/*.c bench/*.c)

format:
	clang-format -i $(FORMAT_FILES)

# Style gates (STYLE.md 7): clang-format clean, and none of the banned
# calls (curl's checksrc list) in src/.
lint:
	@clang-format --dry-run -Werror $(FORMAT_FILES)
	@if grep -nE '\b(sprintf|strcpy|strcat|atoi|atol|sscanf|gets)\s*\(' src/*/*.c src/*/*.h; then \
	  echo "lint: banned function (use snprintf, memcpy with lengths, strtoul with checks)"; exit 1; fi
	@echo "lint: clang-format clean, no banned functions"

clean:
	rm -rf build pcts out

-include $(OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BIN:=.d)
