# Thin wrappers; the README documents each target.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/tools/node_modules/.bin:$(PATH)

DEMO_DB ?= usage_demo
DEMO_LISTEN ?= 127.0.0.1:8080
# The dashboard's token for the local demo only; production sets its own secret.
DEMO_TOKEN ?= local-demo-token-not-secret

.PHONY: test run tools client lint test-rust test-browsers size bench

## test: install what is missing, then formatting, lints and every test (Rust, browsers, end to end)
test: tools lint client test-rust test-browsers

## run: build the client and serve the demo IDE and the dashboard on a local MariaDB
run: tools client
	mariadb -u root --protocol=tcp -h 127.0.0.1 -e 'CREATE DATABASE IF NOT EXISTS $(DEMO_DB)'
	@echo "demo IDE:  http://$(DEMO_LISTEN)/"
	@echo "dashboard: http://$(DEMO_LISTEN)/dashboard.html  (token: $${USAGE_ADMIN_TOKEN:-$(DEMO_TOKEN)})"
	USAGE_DATABASE_URL=$${USAGE_DATABASE_URL:-mysql://root@127.0.0.1:3306/$(DEMO_DB)} \
	USAGE_ADMIN_TOKEN=$${USAGE_ADMIN_TOKEN:-$(DEMO_TOKEN)} \
	USAGE_LISTEN=$(DEMO_LISTEN) cargo run --release -p usage-aggregator -- serve

tools:
	bash scripts/install-wasm-tools.sh
	bash scripts/ensure-mariadb.sh

client:
	bash scripts/build-client.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p usage-client --target wasm32-unknown-unknown --all-targets -- -D warnings
	cargo clippy -p usage-client --target wasm32-unknown-unknown --features tiny -- -D warnings

test-rust:
	cargo test --workspace

test-browsers:
	bash scripts/test-client.sh

## size: raw and gzipped size of the browser client
size: tools
	bash scripts/client-size.sh

bench: tools client
	cargo build --release -p usage-aggregator -p usage-bench && target/release/usage-bench
