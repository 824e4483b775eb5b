# fc-runtime: `make run` serves the built-in function on :9000; `make test` is the gate.

TARGET        := x86_64-unknown-linux-musl
BIN           := target/$(TARGET)/release/fc-runtime
# The stripped static binary must stay under 700 KiB (exec mode included).
MAX_BIN_BYTES := 716800
PORT          ?= 9000

.PHONY: hot-symbols sdk ab peers exec-bench local selftest-peers gateway-bench all build run test musl-target fmt-check lint doc unit check-binary zip image image-test bench clean \
	fuzz attack attack-short attack-tools attack-build soak

all: build

# The rustup target is the only install step the build needs (musl's own linker and C
# runtime come with it).
musl-target:
	@rustup target list --installed | grep -qx '$(TARGET)' || rustup target add $(TARGET)

# The shipped link: the compiler flags of .cargo/config.toml (static, not PIE), Rust's own
# lld (shipped with the toolchain; no install) placing the functions that run from exec to
# the first answers side by side (scripts/hot-symbols.txt, `make hot-symbols`), symbols
# stripped by the linker (the profile's `strip` changes symbol names, so it stays off here
# and the list's names match). The kernel then maps ~200 KiB of text at start instead of
# ~470 KiB: idle RSS 400 KiB against 640 KiB. `cargo build` alone still makes a working,
# unordered binary. fc-local gets the same flags, so switching costs no rebuild.
GCC_LD        := $(shell rustc --print sysroot)/lib/rustlib/$(shell rustc -vV | sed -n 's/host: //p')/bin/gcc-ld
MUSL_FLAGS    := -C relocation-model=static -C target-feature=+crt-static -C link-arg=-B$(GCC_LD) -C link-arg=-fuse-ld=lld
ORDER         := -C link-arg=-Wl,--symbol-ordering-file=$(CURDIR)/scripts/hot-symbols.txt -C link-arg=-Wl,--no-warn-symbol-ordering
MUSL_BUILD    := CARGO_PROFILE_RELEASE_STRIP=false CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$(MUSL_FLAGS) $(ORDER) -C link-arg=-Wl,--strip-all" cargo build --release --target $(TARGET)

# Cargo does not watch the ordering file: a newer list makes the binary relink.
build: musl-target
	@if [ -e $(BIN) ] && [ scripts/hot-symbols.txt -nt $(BIN) ]; then touch src/bin/fc-runtime/main.rs; fi
	@head -1 scripts/hot-symbols.txt | grep -qF "$$(rustc --version)" || echo "note: scripts/hot-symbols.txt was recorded with another rustc, so fewer functions are placed together; run make hot-symbols"
	$(MUSL_BUILD) --bin fc-runtime

# Regenerates scripts/hot-symbols.txt (valgrind's callgrind on an unstripped build with the
# same compiler flags, hence the same symbol names).
hot-symbols: musl-target
	sh scripts/need.sh valgrind:valgrind
	CARGO_PROFILE_RELEASE_STRIP=false CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$(MUSL_FLAGS)" cargo build --release --target $(TARGET) --bin fc-runtime --target-dir target/hot
	python3 scripts/hot_symbols.py target/hot/$(TARGET)/release/fc-runtime scripts/hot-symbols.txt

run: build
	$(BIN) --port $(PORT)

# fc-local, the local FC emulator (README "Local development"); a separate binary.
LOCAL_BIN := target/$(TARGET)/release/fc-local
local: musl-target
	$(MUSL_BUILD) --bin fc-local

fmt-check:
	cargo fmt --check

# Both the default build and every feature (json, events) are linted and documented.
lint:
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --all-features -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --features events

# The apps exec mode is tested with: the seed peers (Go from Debian, ts-node from npm,
# Flask from PyPI, Node as installed) and the test apps' npm packages (ws).
peers:
	sh scripts/need.sh go:golang-go
	python3 bench/local.py peers
	cd tests/it/apps && npm install --no-audit --no-fund --silent

# Alibaba's Python SDKs, which the fc-local API tests drive unmodified (pinned; PyPI).
SDK_VENV := target/sdk-venv
sdk:
	@test -x $(SDK_VENV)/bin/python || python3 -m venv $(SDK_VENV)
	@$(SDK_VENV)/bin/python -c 'import fc2, alibabacloud_fc20230330' 2>/dev/null || \
		$(SDK_VENV)/bin/pip install -q 'aliyun-fc2==2.5.2' 'alibabacloud-fc20230330==4.8.3' \
		'alibabacloud-tea-openapi==0.4.6' 'darabonba-core==1.0.9'

# Unit, integration and doc tests with the `events` feature (so the typed events and JSON handlers
# are tested too); `cargo test` also builds every example.
unit: peers sdk
	sh scripts/need.sh unzip:unzip
	cargo test --features events

# The binary is static and within budget; the default build depends on exactly httparse,
# log and env_logger (serde and serde_json only with the json/events features).
check-binary: build
	sh scripts/need.sh readelf:binutils
	sh scripts/check-binary.sh $(BIN) $(MAX_BIN_BYTES)
	sh scripts/check-deps.sh

# Custom-runtime zip for runtime custom.debian10/11/12. Default: the binary itself is
# bootstrap (no shell on the cold-start path). WRAPPER=1: the editable script + the binary.
# APP=DIR (exec mode): the app's files at the zip's root and fc-runtime as bootstrap, in
# dist/app.zip; set FCRT_EXEC to the app's command in the function's environment
# (deploy/s.yaml, fc-runtime-app).
zip: build
	@mkdir -p dist
ifneq ($(APP),)
	python3 scripts/mkzip.py dist/app.zip bootstrap=$(BIN) $(APP)/
	@echo "zip: dist/app.zip is $$(wc -c < dist/app.zip) bytes; set FCRT_EXEC to the app's command"
else ifeq ($(WRAPPER),1)
	python3 scripts/mkzip.py dist/fc-runtime.zip bootstrap=bootstrap fc-runtime=$(BIN)
	@echo "zip: dist/fc-runtime.zip is $$(wc -c < dist/fc-runtime.zip) bytes"
else
	python3 scripts/mkzip.py dist/fc-runtime.zip bootstrap=$(BIN)
	@echo "zip: dist/fc-runtime.zip is $$(wc -c < dist/fc-runtime.zip) bytes"
endif

# FROM scratch image: local fc-runtime:latest and the OCI archive dist/fc-runtime-image.tar.
image: build
	sh scripts/image.sh

# Runs both zips and the image end to end (installs buildah/podman/runc when missing).
image-test: image peers
	sh scripts/package-test.sh $(BIN)

test: fmt-check lint doc unit check-binary image-test attack-short

# --- Hardening (docs/hardening.md) -----------------------------------------------------
# Coverage-guided fuzzing of the HTTP layer: FUZZ_TIME seconds per target (default 60).
fuzz:
	sh scripts/fuzz.sh

ATTACK_VENV := target/attack-venv
ATTACK_PY   := $(ATTACK_VENV)/bin/python
# Third-party attack tools: slowhttptest and wrk from Debian, httplint (REDbot's linter)
# and pyradamsa from PyPI into a venv under target/.
attack-tools:
	sh scripts/need.sh slowhttptest:slowhttptest wrk:wrk
	@test -x $(ATTACK_PY) || python3 -m venv $(ATTACK_VENV)
	@$(ATTACK_PY) -c 'import httplint, pyradamsa' 2>/dev/null || \
		$(ATTACK_VENV)/bin/pip install -q 'httplint==2026.10.4' 'pyradamsa==0.1.1'

# The slow-read stage needs large answers: examples/download.
attack-build: build
	$(MUSL_BUILD) --example download

# Full attack run (~8 minutes); writes bench/results/attack-<date>.md.
attack: attack-build attack-tools
	@mkdir -p bench/results
	ulimit -n 20000 2>/dev/null; $(ATTACK_PY) scripts/attack.py --report bench/results/attack-$$(date -u +%F).md

# The < 2 minute version that `make test` runs.
attack-short: attack-build attack-tools
	ulimit -n 20000 2>/dev/null; $(ATTACK_PY) scripts/attack.py --short

# Mixed traffic for SOAK_MINUTES (default 10); writes bench/results/soak-<date>.md.
SOAK_MINUTES ?= 10
soak: build
	@mkdir -p bench/results
	python3 scripts/soak.py --minutes $(SOAK_MINUTES) --report bench/results/soak-$$(date -u +%F).md

# Comparative benchmark (not part of test; ~12 minutes): installs the peers' toolchains.
# Also measures the fc-local gateway's added latency (bench/results/gateway-<date>.md).
bench: build zip image gateway-bench exec-bench
	sh scripts/need.sh wrk:wrk go:golang-go musl-gcc:musl-tools taskset:util-linux
	python3 bench/bench.py

# Exec mode's cost: the Go peer straight, behind fc-runtime, behind nginx (same run), and
# the cold start fc-runtime adds (bench/results/exec-<date>.md, README table).
exec-bench: build
	sh scripts/need.sh wrk:wrk go:golang-go nginx:nginx
	python3 bench/exec.py

# GW_BASE=path/to/an/older/fc-local adds it to the same run (the A/B).
gateway-bench: build local
	sh scripts/need.sh wrk:wrk
	GW_BASE=$(GW_BASE) python3 bench/local.py gateway

# fc-local selftest against fc-runtime and every peer in bench/peers/: the compliance
# table in bench/results/selftest-<date>.md and the README (SELFTEST_IDLE, default 20s).
selftest-peers: build local
	sh scripts/need.sh go:golang-go musl-gcc:musl-tools
	python3 bench/local.py selftest

# A/B of two fc-runtime binaries in one run (cold start, wrk -c50 and -c1), interleaved,
# medians: make ab BASE=path/to/old/fc-runtime [NEW=path/to/new] (NEW defaults to this build).
NEW ?= $(BIN)
ab: build
	sh scripts/need.sh wrk:wrk taskset:util-linux
	python3 bench/ab.py $(BASE) $(NEW)

clean:
	cargo clean
	rm -rf dist
