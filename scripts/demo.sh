#!/usr/bin/env bash
# `npm run demo`: install, build, and render the demo environment (environments/demo.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then
  npm ci
fi
npm run build --silent

echo "== kasane lint --env demo"
node bin/kasane.js lint --env demo
echo
echo "== kasane render --env demo"
node bin/kasane.js render --env demo
