#!/usr/bin/env bash
# Checks the shipped example config with a freshly made key and token (the example names /etc/vigil/...;
# this points them at temporary ones so it runs anywhere without root).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx vigil keygen -o "$tmp/cluster.key"
npx vigil keygen -o "$tmp/api.token"
sed -e "s#/etc/vigil/cluster.key#$tmp/cluster.key#" -e "s#/etc/vigil/api.token#$tmp/api.token#" \
  examples/vigil.example.yaml > "$tmp/vigil.yaml"
npx vigil check -c "$tmp/vigil.yaml"
