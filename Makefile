# webcti: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

CARGO ?= cargo
A64 := aarch64-unknown-linux-musl
ARMV7 := armv7-unknown-linux-musleabihf
# The native musl build the memory figures are taken on besides glibc's.
MUSL := x86_64-unknown-linux-musl
NIGHTLY := $(shell sed -n 's/^nightly *= *"\(.*\)"/\1/p' cross/nightly.toml)
# armv7 with -Zbuild-std has no self-contained C runtime objects: musl's gcc wrapper
# supplies them, and gcc's libgcc_eh.a stands in for libunwind (cross/setup.sh).
ARMV7_RUSTFLAGS := -C target-feature=+crt-static -C link-self-contained=no -L $(CURDIR)/target/armv7-unwind


.PHONY: run test test-setup lint test-native cross cross-setup cross-test image boot-test bench bench-memory-a64 soak fuzz clean
BOARD ?= arm64-ref
FUZZ_SECS ?= 60

## run: the service on the simulated board (board/sim), data in ./var
run:
	./board/setup.sh
	$(CARGO) run --release -- serve --board board/sim/board.toml

## test: everything CI runs: lints, the native suite, the aarch64 suite under qemu, and
## the board's image booted under full-system emulation
test: lint test-setup test-native cross-test boot-test

test-setup:
	./board/setup.sh
	./tests/setup.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --features boot-test -- -D warnings

test-native:
	$(CARGO) test

cross-setup:
	./cross/setup.sh

## cross-test: the suite for aarch64, run under qemu user-mode emulation (each test
## binary through cross/run-emulated, which runs one again if the emulator hangs)
cross-test: cross-setup
	WEBCTI_TEST_RUNNER=qemu-aarch64-static \
	  CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER=$(CURDIR)/cross/run-emulated \
	  $(CARGO) test --target $(A64)

## cross: stripped static release binaries for both boards, with their sizes
cross:
	ARMV7=1 ./cross/setup.sh
	time $(CARGO) build --release --target $(A64)
	time env CARGO_TARGET_ARMV7_UNKNOWN_LINUX_MUSLEABIHF_RUSTFLAGS="$(ARMV7_RUSTFLAGS)" \
	  $(CARGO) +$(NIGHTLY) build --release --target $(ARMV7) -Zbuild-std=std,panic_abort
	@for t in $(A64) $(ARMV7); do \
	  f=target/$$t/release/webcti; \
	  printf '%-48s %9d bytes\n' "$$f" "$$(stat -c %s $$f)"; \
	  command -v file >/dev/null && file -b $$f | cut -d, -f1-2,4-5 || true; \
	done

clean:
	$(CARGO) clean

## image: the flashable image of BOARD (default arm64-ref) in target/images/BOARD, with
## its size and SHA-256 (board/image.sh)
image: cross-setup
	$(CARGO) build --release --target $(A64)
	./board/image.sh $(BOARD)

## boot-test: the arm64-ref image under qemu-system-aarch64 (tests/boot.rs): first boot,
## power-off and boot again, a watchdog reset, an upgrade to a second image's release;
## and the image made again from the same inputs is the same bytes
IMAGES := $(CURDIR)/target/images
boot-test: test-setup
	$(MAKE) image BOARD=arm64-ref
	IMAGE_RELEASE="$$(git describe --always --tags)-next" ./board/image.sh arm64-ref $(IMAGES)/arm64-ref-next
	./board/image.sh arm64-ref $(IMAGES)/arm64-ref-again >/dev/null
	cmp $(IMAGES)/arm64-ref/SHA256SUMS $(IMAGES)/arm64-ref-again/SHA256SUMS \
	  || { echo "the image is not reproducible: the same inputs gave other bytes"; exit 1; }
	WEBCTI_IMAGE=$(IMAGES)/arm64-ref WEBCTI_UPGRADE=$(IMAGES)/arm64-ref-next/webcti-arm64-ref.upgrade \
	  $(CARGO) test --features boot-test --test boot -- --nocapture

## bench: figures for the store, the core link, the portal, memory (glibc and a native
## musl build) and the pages beside nginx, then one table of every figure with its target (benches/common/report.rs)
bench: cross-setup
	./board/setup.sh
	./benches/setup.sh
	rm -f target/bench-report.tsv
	$(CARGO) build --release --target $(A64)
	$(CARGO) bench --bench store
	$(CARGO) bench --bench core
	$(CARGO) bench --bench portal
	$(CARGO) bench --bench memory
	$(CARGO) bench --bench memory --target $(MUSL)
	$(CARGO) bench --bench pages
	$(CARGO) bench --bench directory
	$(CARGO) bench --bench cti
	$(CARGO) bench --bench cti --target $(MUSL)
	$(CARGO) bench --bench table

## bench-memory-a64: the memory benchmark with the aarch64 service under qemu
bench-memory-a64: cross-setup
	WEBCTI_TEST_RUNNER=qemu-aarch64-static $(CARGO) bench --bench memory --target $(A64)

## soak: the crash test with a thousand kills
soak:
	$(CARGO) build --examples
	CRASH_ITERATIONS=1000 $(CARGO) test --test crash -- --nocapture

## fuzz: the frame decoder under libFuzzer for FUZZ_SECS seconds (needs the pinned nightly)
fuzz:
	ARMV7=1 ./cross/setup.sh
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd fuzz && $(CARGO) +$(NIGHTLY) fuzz run frame_decoder -- -max_total_time=$(FUZZ_SECS)
