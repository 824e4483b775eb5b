# fc-runtime: `make run` serves the built-in function on :9000; `make test` is the gate.

TARGET        := x86_64-unknown-linux-musl
BIN           := target/$(TARGET)/release/fc-runtime
# The stripped static binary must stay under 600 KiB.
MAX_BIN_BYTES := 614400
PORT          ?= 9000

.PHONY: all build run test musl-target fmt-check lint doc unit check-binary zip image image-test bench clean

all: build

# The rustup target is the only install step the build needs (musl's own linker and C
# runtime come with it).
musl-target:
	@rustup target list --installed | grep -qx '$(TARGET)' || rustup target add $(TARGET)

build: musl-target
	cargo build --release --target $(TARGET) --bin fc-runtime

run: build
	$(BIN) --port $(PORT)

fmt-check:
	cargo fmt --check

lint:
	cargo clippy --all-targets -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps

# Unit, integration and doc tests; `cargo test` also builds every example.
unit:
	cargo test

check-binary: build
	sh scripts/need.sh readelf:binutils
	sh scripts/check-binary.sh $(BIN) $(MAX_BIN_BYTES)

# Custom-runtime zip for runtime custom.debian10/11/12. Default: the binary itself is
# bootstrap (no shell on the cold-start path). WRAPPER=1: the editable script + the binary.
zip: build
	@mkdir -p dist
ifeq ($(WRAPPER),1)
	python3 scripts/mkzip.py dist/fc-runtime.zip bootstrap=bootstrap fc-runtime=$(BIN)
else
	python3 scripts/mkzip.py dist/fc-runtime.zip bootstrap=$(BIN)
endif
	@echo "zip: dist/fc-runtime.zip is $$(wc -c < dist/fc-runtime.zip) bytes"

# FROM scratch image: local fc-runtime:latest and the OCI archive dist/fc-runtime-image.tar.
image: build
	sh scripts/image.sh

# Runs both zips and the image end to end (installs buildah/podman/runc when missing).
image-test: image
	sh scripts/package-test.sh $(BIN)

test: fmt-check lint doc unit check-binary image-test

# Comparative benchmark (not part of test; ~10 minutes): installs the peers' toolchains.
bench: build zip image
	sh scripts/need.sh wrk:wrk go:golang-go musl-gcc:musl-tools taskset:util-linux
	python3 bench/bench.py

clean:
	cargo clean
	rm -rf dist
