# cmt — Crypto Micro-Terminal.  See README.md.
VERSION    = 0.1.0
PREFIX    ?= /usr/local
MANPREFIX ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share/cmt
SYSCONFDIR ?= $(PREFIX)/etc
# systemd units, where systemd looks under the prefix: the system unit in
# $(PREFIX)/lib/systemd/system (/usr/local/lib/systemd/system), the user
# unit in $(PREFIX)/share/systemd/user ($XDG_DATA_HOME/systemd/user for
# PREFIX=$HOME/.local, $XDG_DATA_DIRS' for /usr/local)
UNITDIR   ?= $(PREFIX)/lib/systemd/system
USERUNITDIR ?= $(PREFIX)/share/systemd/user
DESTDIR   ?=

# O is the output directory, so the sanitizer build never mixes with the
# normal one.  Binaries land in $(O)/bin.
O         ?= build
CC        ?= cc
AR        ?= ar
CFLAGS    ?= -O2 -g
SANFLAGS  ?=
PKGS       = libcurl libcjson libwebsockets libnats zlib
CMT_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
             -Wall -Wextra -Werror -ffp-contract=off -Ilib -Icmd \
             -DCMT_VERSION=\"$(VERSION)\" -DCMT_DATADIR=\"$(DATADIR)\" \
             $$(pkg-config --cflags $(PKGS)) $(SANFLAGS) $(CFLAGS)
CMT_LIBS   = $$(pkg-config --libs $(PKGS)) -lm -pthread $(SANFLAGS) $(LDFLAGS)

# lib/ and its family folders (lib/source/, lib/report/, ...); no two
# files may share a basename, since ar keys archive members by it.
LIB_SRC   = $(wildcard lib/*.c lib/*/*.c)
LIB_OBJ   = $(LIB_SRC:%.c=$(O)/%.o)
CLI_SRC   = $(filter-out cmd/cmt-%.c,$(wildcard cmd/*.c))
CLI_OBJ   = $(CLI_SRC:%.c=$(O)/%.o)
TOOLS     = $(patsubst cmd/%.c,%,$(wildcard cmd/cmt-*.c))
TRAIN_SRC = $(wildcard train/*.c)
BINS      = $(TOOLS:%=$(O)/bin/%) $(if $(TRAIN_SRC),$(O)/bin/cmt-train)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
# Fuzz targets fuzz/fuzz_<name>.c: libFuzzer binaries for make fuzz, and
# regression drivers $(O)/tests/test_fuzz_<name> (corpus and past crashes)
# that make check runs like the unit tests.
FUZZ_NAMES = $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_CHECK = $(FUZZ_NAMES:%=$(O)/tests/test_fuzz_%)
FUZZ_SECONDS ?= 60
FUZZ_SAN   = -fsanitize=fuzzer-no-link,address,undefined \
             -fno-sanitize-recover=all -fno-omit-frame-pointer

all: $(BINS)

# Missing packages are named in two lines, before any compiler runs.
depcheck:
	@sh scripts/check-deps.sh $(PKGS) xgboost

# Each object depends on the headers it includes, as the compiler saw them
# (-MMD), not on every header of the tree.
$(O)/%.o: %.c Makefile | depcheck
	@mkdir -p $(@D)
	$(CC) $(CMT_CFLAGS) -MMD -MP -c -o $@ $<

# cmt-sse links web/index.html and web/vendor/ into its binary with .incbin.
$(O)/cmd/cmt-sse.o: web/index.html web/vendor/lightweight-charts.js \
	web/vendor/lightweight-charts.LICENSE

# Rebuilt from scratch: ar r keeps members whose source is gone (a file
# moved into a folder), and the linker would take their stale code.
$(O)/libcmt.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# Only cmt-train links XGBoost (it trains the trees; cmt-predict evaluates
# them in plain C).
XGB_LIBS   = -lxgboost

$(O)/bin/cmt-train: $(TRAIN_SRC:%.c=$(O)/%.o) $(CLI_OBJ) $(O)/libcmt.a
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(CMT_LIBS) $(XGB_LIBS)

$(O)/bin/%: $(O)/cmd/%.o $(CLI_OBJ) $(O)/libcmt.a
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(CMT_LIBS)

$(O)/tests/test_fuzz_%: $(O)/fuzz/fuzz_%.o $(O)/fuzz/replay.o $(O)/libcmt.a
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(CMT_LIBS)

$(O)/fuzzers/fuzz_%: $(O)/fuzz/fuzz_%.o $(O)/libcmt.a
	@mkdir -p $(@D)
	$(CC) -fsanitize=fuzzer -o $@ $^ $(CMT_LIBS)

$(O)/tests/%: tests/unit/%.c $(O)/libcmt.a | depcheck
	@mkdir -p $(@D)
	$(CC) $(CMT_CFLAGS) -MMD -MP -MF $@.d -Wno-unused-parameter -o $@ $< \
		$(O)/libcmt.a $(CMT_LIBS) -lcmocka

# The trees oracle: cmt's trees against XGBoost's own predictions.
$(O)/tests/test_xgb: tests/unit/test_xgb.c $(O)/train/xgb.o $(O)/libcmt.a \
	| depcheck
	@mkdir -p $(@D)
	$(CC) $(CMT_CFLAGS) -Itrain -MMD -MP -MF $@.d -Wno-unused-parameter -o $@ \
		$< $(O)/train/xgb.o $(O)/libcmt.a $(CMT_LIBS) $(XGB_LIBS) -lcmocka

-include $(wildcard $(O)/lib/*.d $(O)/lib/*/*.d $(O)/cmd/*.d \
	$(O)/train/*.d $(O)/fuzz/*.d $(O)/tests/*.d)

deps:
	@sh scripts/deps.sh

# check installs nothing: it names what is missing and says 'make deps'
# (demo, bench and model do install, as a first run wants).
check: testdeps
	@$(MAKE) --no-print-directory test

testdeps:
	@sh scripts/deps.sh --check

test: all $(UNIT_BINS) $(FUZZ_CHECK) house
	@sh scripts/run-tests.sh $(O)

# The house rules (scripts/house.sh): no venue named in lib/ outside
# lib/source/, no duplicate basenames, and no lib/ file over 800 lines
# unless a line below names it and says why:
# long-file: (none)
house:
	@sh scripts/house.sh Makefile

asan: testdeps
	@$(MAKE) --no-print-directory O=build-asan CFLAGS="-O1 -g" \
		SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test

# clang and libFuzzer only for this target, so make check stays small.
fuzz:
	@CMT_EXTRA_PKGS="clang libclang-rt-14-dev" sh scripts/deps.sh
	@$(MAKE) --no-print-directory O=build-fuzz CC=clang CFLAGS="-O1 -g" \
		SANFLAGS="$(FUZZ_SAN)" fuzzers
	@sh scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzzers: $(FUZZ_NAMES:%=$(O)/fuzzers/fuzz_%)

valgrind: testdeps
	@$(MAKE) --no-print-directory O=build-vg CFLAGS="-O1 -g" test-bins
	@sh scripts/valgrind-bats.sh build-vg

test-bins: all $(UNIT_BINS) $(FUZZ_CHECK)

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh $(O)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh $(O)

demo-sim: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh $(O) sim

demo-live: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo-live.sh $(O)

# Refresh the vendored charting library from the npm registry (npm pack);
# LWC_VERSION=latest (or a version) picks another release.
web-vendor:
	@sh scripts/web-vendor.sh

model: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/make-model.sh $(O)

# For a user as for root: make install PREFIX=$HOME/.local.  The units
# name the installed binaries and settings by their absolute paths; an
# existing settings file is kept.
UNIT_SED = -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
		$(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(SYSCONFDIR)/cmt $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(USERUNITDIR)
	cp -f $(BINS) $(DESTDIR)$(PREFIX)/bin/
	cp -f scripts/retrain.sh $(DESTDIR)$(PREFIX)/bin/cmt-retrain
	chmod 755 $(DESTDIR)$(PREFIX)/bin/cmt-retrain
	for m in man/*.1; do [ -f "$$m" ] && cp -f $$m $(DESTDIR)$(MANPREFIX)/man1/; done; true
	for m in man/*.5; do [ -f "$$m" ] && cp -f $$m $(DESTDIR)$(MANPREFIX)/man5/; done; true
	for f in model/*.json; do [ -f "$$f" ] && cp -f $$f $(DESTDIR)$(DATADIR)/; done; true
	sed $(UNIT_SED) -e 's/^#system //' -e '/^#user /d' \
		systemd/cmt-live@.service.in > $(DESTDIR)$(UNITDIR)/cmt-live@.service
	sed $(UNIT_SED) -e 's/^#user //' -e '/^#system /d' \
		systemd/cmt-live@.service.in > $(DESTDIR)$(USERUNITDIR)/cmt-live@.service
	[ -f $(DESTDIR)$(SYSCONFDIR)/cmt/default.env ] || \
		cp systemd/default.env $(DESTDIR)$(SYSCONFDIR)/cmt/default.env

# The settings in $(SYSCONFDIR)/cmt are yours: they stay.
uninstall:
	for b in $(notdir $(BINS)) cmt-retrain; do rm -f $(DESTDIR)$(PREFIX)/bin/$$b; done
	for m in man/*.[15]; do rm -f $(DESTDIR)$(MANPREFIX)/man$${m##*.}/$${m##*/}; done
	rm -rf $(DESTDIR)$(DATADIR)
	rm -f $(DESTDIR)$(UNITDIR)/cmt-live@.service \
		$(DESTDIR)$(USERUNITDIR)/cmt-live@.service

clean:
	rm -rf build build-asan build-fuzz build-vg

.PHONY: all deps testdeps house check test test-bins asan fuzz fuzzers valgrind bench demo demo-sim demo-live model web-vendor install uninstall clean depcheck
.SUFFIXES:
.SECONDARY:
