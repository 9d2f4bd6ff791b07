# sohoa: the two commands of the README, and a few more.
#   make run    set up, build, run the main job on the bundled samples
#   make test   set up, then every check CI runs (format, lints, all tests)
.PHONY: setup build run test test-all lint bench bench-index test-pki fuzz fuzz-ci clean deb

CARGO ?= cargo
OUT   ?= out

setup:
	bash scripts/setup.sh

build: setup
	$(CARGO) build --release

run: build
	bash scripts/run-samples.sh $(OUT)

# the Debian package: target/debian/sohoa_<version>-1_<arch>.deb (see README, "Installing")
deb: build
	$(CARGO) deb --no-build

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

# Every test runs with the throwaway PostgreSQL and S3 servers of scripts/test-servers.sh
# (on 127.0.0.1, stopped after): the unit tests of the index and the store on both backends,
# then the integration suite twice, with the embedded defaults (SQLite, a folder) and with
# the shared ones (PostgreSQL, S3).
test: setup lint
	bash scripts/test-servers.sh run $(MAKE) test-all
	$(MAKE) fuzz-ci

test-all:
	SOHOA_REQUIRE_SERVERS=1 $(CARGO) test --all-targets
	SOHOA_REQUIRE_SERVERS=1 SOHOA_TEST_BACKEND=shared $(CARGO) test --test integration

bench: build bench-index
	.venv/bin/python scripts/bench_sign.py
	.venv/bin/python scripts/bench_token.py
	.venv/bin/python scripts/bench_verify.py
	.venv/bin/python scripts/bench_digitize.py
	.venv/bin/python scripts/bench_seals.py
	.venv/bin/python scripts/bench_codes.py
	.venv/bin/python scripts/bench_blank.py
	bash scripts/test-servers.sh run .venv/bin/python scripts/bench_nodes.py
	.venv/bin/python scripts/bench_serve.py --burst $(or $(BENCH_BURST),1000) --burst-seconds 180

# 1,000,000 synthetic papers in a SQLite index (here 134 s and 2.4 GiB the first time, kept in
# bench-data/index), then p50/p99 of lookups by ID, text and pHash; then the same papers in
# PostgreSQL (the throwaway server of scripts/test-servers.sh, filled afresh each run: here
# 1,351 s and 3.1 GiB) and the same lookups there.
bench-index:
	$(CARGO) run --release --example index_bench -- $(or $(BENCH_PAPERS),1000000) bench-data/index
	bash scripts/test-servers.sh run bash -c 'psql "$$SOHOA_TEST_PG" -qAtc "CREATE DATABASE bench_index" && \
	  $(CARGO) run --release --example index_bench -- $(or $(BENCH_PAPERS),1000000) bench-data/index \
	  --url "$${SOHOA_TEST_PG%/*}/bench_index"'

test-pki:
	bash scripts/gen-test-pki.sh

# libFuzzer on the stable toolchain (fuzz/run.sh). CI: every target a fixed number of inputs
# from its seeds; `make fuzz` runs each for FUZZ_SECONDS (default 600) in turn.
FUZZ_TARGETS = verify_pdf decode_jpeg decode_png decode_tiff decode_pdf text_layer cms tsa_reply

fuzz-ci:
	bash fuzz/run.sh ci $(or $(FUZZ_RUNS),3000)

fuzz:
	bash fuzz/run.sh build
	for t in $(FUZZ_TARGETS); do bash fuzz/run.sh run $$t $(or $(FUZZ_SECONDS),600) || exit 1; done

clean:
	$(CARGO) clean
	rm -rf $(OUT)
