#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: build, lint, type-check, unit tests, integration
# tests with real processes on loopback, and the simulator over 10,000+ seeded fault schedules.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }
step "packages";   bash scripts/packages.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
step "build";      npm run --silent build
step "lint";       npm run --silent lint
step "type-check"; npm run --silent typecheck
step "unit tests"; npm run --silent test:unit
step "integration tests (real vigil processes on loopback)"
npm run --silent test:integration
step "browser test (the web page in Chromium against a real cluster; skipped loudly without Chromium)"
npm run --silent test:browser
step "network namespace tests (root: real VIPs, guard, client probing; skipped loudly without root)"
npm run --silent test:netns
# A fresh seed range on every run (SIM_FROM overrides it), printed so that a failure replays:
# npm run sim -- --protocol NAME --seed K --trace
FROM="${SIM_FROM:-$(( (RANDOM << 15 | RANDOM) % 1000000000 + 1 ))}"
step "simulator: seeds from ${FROM} (a new range each run; SIM_FROM=${FROM} repeats this one)"
npm run --silent sim -- --protocol gossip --seeds 300 --from "$FROM"
npm run --silent sim -- --protocol cluster-witness --seeds 400 --from "$FROM"
npm run --silent sim -- --protocol cluster5 --seeds 150 --from "$FROM"
npm run --silent sim -- --protocol two-node --seeds 800 --from "$FROM"
npm run --silent sim -- --protocol cluster-reload --seeds 400 --from "$FROM"
npm run --silent sim -- --protocol cluster-track --seeds 20 --from "$FROM"
npm run --silent sim -- --protocol cluster-db --seeds 100 --from "$FROM"
npm run --silent sim -- --protocol etcd --seeds 200 --from "$FROM"
step "simulator: the cluster core with resources over ${SIM_CLUSTER_SEEDS:-1000} seeds (npm run sim -- --seeds 10000 for the full run)"
npm run --silent sim -- --protocol cluster --seeds "${SIM_CLUSTER_SEEDS:-1000}" --from "$FROM"
