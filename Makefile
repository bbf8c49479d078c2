# Thin front over CMake. `make` builds, `make check` runs every test (it installs missing Debian
# packages first), `make bench` runs the benchmarks. SANITIZE=1 builds with ASan+UBSan.
#
# make check builds twice: with gcc (the product build, every test) and with clang plus libFuzzer
# (every fuzz harness runs FUZZ_SECONDS, and the tests that need no namespaces). Both must be
# warning-free. Between the two, clang's static analyzer (make analyze) reads everything in src/
# and must find nothing.

SANITIZE     ?= 0
FUZZ_SECONDS ?= 60
JOBS         ?= $(shell nproc)
GEN          := -G Ninja

ifeq ($(SANITIZE),1)
GCC_DIR := build/gcc-asan
SAN_OPT := -DESPRIT_SANITIZE=ON
else
GCC_DIR := build/gcc
SAN_OPT :=
endif
FUZZ_DIR := build/clang-fuzz
ANALYZE_DIR := build/analyze

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

.PHONY: all analyze build deps check format format-check bench clean demo install

all: build

deps:
	@scripts/install-deps

build:
	cmake -S . -B $(GCC_DIR) $(GEN) -DCMAKE_C_COMPILER=gcc $(SAN_OPT) >/dev/null
	cmake --build $(GCC_DIR) -j $(JOBS)

# The clang stage runs the fuzzers and every test except the namespace ones (label net): those
# drive the same daemon sources the gcc build already ran them on, and take most of the time.
# With SANITIZE=1 the clang stage is left out: its fuzzers are built with ASan+UBSan anyway and
# ran in the plain `make check` (.ci/run runs both).
check: deps format-check build
	cd $(GCC_DIR) && ctest --output-on-failure -j $(JOBS)
ifneq ($(SANITIZE),1)
	$(MAKE) analyze
	cmake -S . -B $(FUZZ_DIR) $(GEN) -DCMAKE_C_COMPILER=clang -DESPRIT_FUZZ=ON \
		-DESPRIT_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS)
	cd $(FUZZ_DIR) && ctest --output-on-failure -j $(JOBS) -LE net
endif

# scan-build over the daemon and the CLI, which compile every file of src/ (the tests are left
# out: the analyzer does not know that a failed cmocka assertion ends the test). Any finding
# fails; the HTML reports stay in $(ANALYZE_DIR)/reports.
analyze: deps
	rm -rf $(ANALYZE_DIR)
	scan-build -o $(ANALYZE_DIR)/reports cmake -S . -B $(ANALYZE_DIR) $(GEN) -DESPRIT_LTO=OFF \
		>/dev/null
	scan-build -o $(ANALYZE_DIR)/reports --status-bugs \
		cmake --build $(ANALYZE_DIR) -j $(JOBS) --target espritd esprit

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES)

format:
	clang-format -i $(FORMAT_FILES)

bench: deps
	cmake -S . -B build/bench $(GEN) -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build/bench -j $(JOBS)
	bench/run build/bench

# The Exchange guide's front-end/back-end network in namespaces, checked step by step (root).
demo: deps build
	scripts/demo --build $(GCC_DIR)

# DESTDIR and PREFIX as usual; the unit's ExecStart follows SBINDIR.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
DOCDIR     ?= $(PREFIX)/share/doc/esprit
SYSCONFDIR ?= /etc

install: build
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/esprit
	install -m 0755 $(GCC_DIR)/espritd $(GCC_DIR)/esprit $(DESTDIR)$(SBINDIR)
	install -m 0644 $(wildcard docs/*.5) $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(wildcard docs/*.8) $(DESTDIR)$(MANDIR)/man8
	sed 's|/usr/sbin/espritd|$(SBINDIR)/espritd|' packaging/espritd.service \
		>$(DESTDIR)$(UNITDIR)/espritd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/espritd.service
	install -m 0644 examples/README examples/*.conf $(DESTDIR)$(DOCDIR)/examples

clean:
	rm -rf build
