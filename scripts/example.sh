#!/usr/bin/env bash
# Checks the shipped example config with a freshly made key file (the example names /etc/vigil/cluster.key;
# this points it at a temporary one so it runs anywhere without root).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx vigil keygen -o "$tmp/cluster.key"
sed "s#/etc/vigil/cluster.key#$tmp/cluster.key#" examples/vigil.example.yaml > "$tmp/vigil.yaml"
npx vigil check -c "$tmp/vigil.yaml"
