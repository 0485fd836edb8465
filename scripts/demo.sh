#!/usr/bin/env bash
# `npm run demo`: install and build, start a local devcluster, render and sync the demo environment
# (environments/demo.yaml, hooks included), change a value, show the diff, sync again, print the
# history. The change is made in a scratch copy of charts/ and environments/, never in this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ ! -d node_modules ]; then
  npm ci
fi
npm run build --silent

work=$(mktemp -d "${TMPDIR:-/tmp}/kasane-demo.XXXXXX")
devcluster_pid=""
cleanup() {
  if [ -n "$devcluster_pid" ]; then
    kill "$devcluster_pid" 2>/dev/null || true
    wait "$devcluster_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A scratch Git repository with the demo's charts and environments.
mkdir -p "$work/repo"
cp -R charts environments "$work/repo/"
demo_git() { git -C "$work/repo" -c user.name=kasane-demo -c user.email=demo@example.invalid "$@"; }
demo_git init -q
demo_git add -A
demo_git commit -q -m "demo: initial state"

echo "== kasane devcluster (a local Kubernetes API server)"
node bin/kasane.js devcluster --port 0 --kubeconfig-out "$work/kubeconfig" >"$work/devcluster.log" 2>&1 &
devcluster_pid=$!
for _ in $(seq 1 300); do
  [ -s "$work/kubeconfig" ] && break
  if ! kill -0 "$devcluster_pid" 2>/dev/null; then
    cat "$work/devcluster.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ ! -s "$work/kubeconfig" ]; then
  echo "the devcluster did not start within 30 s" >&2
  exit 1
fi
head -n 1 "$work/devcluster.log"

kasane() { node "$root/bin/kasane.js" --repo-root "$work/repo" --kubeconfig "$work/kubeconfig" "$@"; }

echo
echo "== kasane render --env demo (the manifests a sync applies; nothing is sent to the cluster)"
echo "   Secret values are masked; kasane render --show-secrets prints them"
kasane render --env demo

echo
echo "== kasane sync --env demo"
kasane sync --env demo

echo
echo "== change a value: replicas 1 -> 2 in environments/demo.yaml (committed in the scratch repository)"
node -e '
  const fs = require("node:fs");
  const file = process.argv[1];
  const text = fs.readFileSync(file, "utf8");
  if (!/^      replicas: 1$/m.test(text)) { console.error(`no "replicas: 1" in ${file}`); process.exit(1); }
  fs.writeFileSync(file, text.replace(/^      replicas: 1$/m, "      replicas: 2"));
' "$work/repo/environments/demo.yaml"
demo_git commit -q -am "demo: two replicas"

echo
echo "== kasane diff --env demo --detailed-exitcode"
status=0
kasane diff --env demo --detailed-exitcode || status=$?
if [ "$status" -ne 2 ]; then
  echo "expected kasane diff to report changes (exit 2), got exit $status" >&2
  exit 1
fi

echo
echo "== kasane sync --env demo"
kasane sync --env demo

echo
echo "== kasane diff --env demo (nothing left to change)"
kasane diff --env demo --detailed-exitcode

echo
echo "== kasane history --env demo --release web"
kasane history --env demo --release web
