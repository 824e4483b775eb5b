# fc-runtime: `make run` serves the built-in function on :9000; `make test` is the gate.

TARGET        := x86_64-unknown-linux-musl
BIN           := target/$(TARGET)/release/fc-runtime
# The stripped static binary must stay under 600 KiB.
MAX_BIN_BYTES := 614400
PORT          ?= 9000

.PHONY: all build run test musl-target fmt-check lint doc unit check-binary clean

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
	sh scripts/check-binary.sh $(BIN) $(MAX_BIN_BYTES)

test: fmt-check lint doc unit check-binary

clean:
	cargo clean
	rm -rf dist
