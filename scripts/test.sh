#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: build, lint, type-check, unit tests, simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }
step "build";      npm run --silent build
step "lint";       npm run --silent lint
step "type-check"; npm run --silent typecheck
step "unit tests"; npm run --silent test:unit
step "simulator";  npm run --silent sim -- --protocol gossip --seeds 300 --from 1
