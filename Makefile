# Thin wrappers; the README documents each target.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/tools/node_modules/.bin:$(PATH)

DEMO_LISTEN ?= 127.0.0.1:8080
# The dashboard's token for the local demo: random, made once per checkout and kept under target/
# (`cargo clean` makes a new one), so that no published token opens a developer's demo data (a page
# using DNS rebinding reaches 127.0.0.1 too, but cannot know it). USAGE_ADMIN_TOKEN overrides it.
DEMO_TOKEN_FILE ?= target/demo/admin-token
# The names the demo answers to (421 for others: a DNS-rebinding page names its own host).
DEMO_ALLOWED_HOSTS ?= 127.0.0.1,localhost,[::1]
# The demo's SQLite file lives under target/, so a clone stays clean and `cargo clean` resets it.
DEMO_DATABASE ?= target/demo/usage.sqlite3
# The checked-in client (rebuilt by `make client-update`, checked by `make check-client`): `make run`
# serves it, so it needs only cargo, no wasm tools.
PREBUILT_CLIENT := wasm-client/dist
# `make run` builds the debug profile: from scratch it compiles in half the time of the release
# profile (LTO, one codegen unit), and a demo does not need the speed (BENCHMARKS.md, first make run).
# RUN_CARGO_FLAGS=--release serves the release build instead.
RUN_CARGO_FLAGS ?=

.PHONY: test run demo-token tools client client-update check-client check-alerts lint test-rust test-browsers test-python size bench

## test: install what is missing, then formatting, lints and every test (Rust, browsers, end to end)
test: tools lint client check-client check-alerts test-python test-rust test-browsers

## run: build the aggregator and serve the demo IDE and the dashboard on SQLite (needs only cargo)
run: demo-token
	cargo build $(RUN_CARGO_FLAGS) -p usage-aggregator
	mkdir -p $(dir $(DEMO_DATABASE))
	@echo
	@echo "demo IDE:  http://$(DEMO_LISTEN)/"
	@echo "dashboard: http://$(DEMO_LISTEN)/dashboard.html  (token: $${USAGE_ADMIN_TOKEN:-$$(cat $(DEMO_TOKEN_FILE))})"
	@echo "database:  $${USAGE_DATABASE_URL:-sqlite:$(DEMO_DATABASE)}   (ctrl-c stops)"
	@echo
	@USAGE_DATABASE_URL=$${USAGE_DATABASE_URL:-sqlite:$(DEMO_DATABASE)} \
	USAGE_ADMIN_TOKEN=$${USAGE_ADMIN_TOKEN:-$$(cat $(DEMO_TOKEN_FILE))} \
	USAGE_CLIENT_DIR=$${USAGE_CLIENT_DIR:-$(PREBUILT_CLIENT)} \
	USAGE_ALLOWED_HOSTS=$${USAGE_ALLOWED_HOSTS:-$(DEMO_ALLOWED_HOSTS)} \
	USAGE_SITES=$${USAGE_SITES:-ide} \
	USAGE_LISTEN=$(DEMO_LISTEN) cargo run -q $(RUN_CARGO_FLAGS) -p usage-aggregator -- serve

## demo-token: make the demo's random dashboard token once (target/demo/admin-token, private to you)
demo-token:
	@mkdir -p $(dir $(DEMO_TOKEN_FILE))
	@[ -s $(DEMO_TOKEN_FILE) ] || (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > $(DEMO_TOKEN_FILE))

## tools: install the wasm tools, browsers, NiceGUI, schemathesis, the MCP client, Galera and nginx, and start MariaDB (what `make test` needs)
tools:
	bash scripts/install-wasm-tools.sh
	bash scripts/install-nicegui.sh
	bash scripts/install-schemathesis.sh
	bash scripts/install-mcp-client.sh
	bash scripts/install-scale-out.sh
	bash scripts/ensure-mariadb.sh
	bash scripts/install-prometheus.sh

## client: build the client from source into target/usage-client/ (needs `make tools`)
client:
	bash scripts/build-client.sh

## client-update: rebuild the checked-in client wasm-client/dist/ from source; commit it with the source
client-update:
	bash scripts/check-prebuilt-client.sh --update

## check-client: fail unless wasm-client/dist/ is byte for byte a fresh build of wasm-client/
check-client:
	bash scripts/check-prebuilt-client.sh

## check-alerts: promtool checks and unit tests of the alert rules in docs/alerts/
check-alerts:
	bash scripts/check-alerts.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p usage-client --target wasm32-unknown-unknown --all-targets -- -D warnings
	cargo clippy -p usage-client --target wasm32-unknown-unknown --features tiny -- -D warnings

test-rust:
	cargo test --workspace

test-browsers:
	bash scripts/test-client.sh

## test-python: the Python package clients/python: pytest unit tests, mypy --strict, its wheel (target/python-dist/)
test-python:
	bash scripts/test-python-client.sh

## size: raw, gzip and brotli size of the browser client
size: tools
	bash scripts/client-size.sh

bench: tools client
	cargo build --release -p usage-aggregator -p usage-bench && target/release/usage-bench
