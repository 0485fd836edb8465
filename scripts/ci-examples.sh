#!/usr/bin/env bash
# Runs the kasane commands of the example pipelines (examples/ci/) against this repository's own charts/
# and environments/, so the examples cannot rot. The commands are read from the example files themselves:
# every line that starts with `kasane ` (or `- kasane ` in .gitlab-ci.yml) runs here as written, with
#   KASANE_ENV  each environment under environments/ (the cluster commands: demo, against a devcluster)
#   BASE_REF    HEAD~1 (the pull request's base in the examples)
# Offline commands (lint, render, diff --from) run for every environment; diff --from only when the
# clone has a parent commit (a CI clone may be shallow: it is deepened when it can be, skipped if not).
# Commands that need a cluster (diff against the cluster, sync) run against a local devcluster.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

[ -f dist/cli/main.js ] || npm run build --silent

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kasane-ci-examples.XXXXXX")"
DEVCLUSTER_PID=""
cleanup() {
  if [ -n "$DEVCLUSTER_PID" ]; then kill "$DEVCLUSTER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The examples install kasane and call it as `kasane`; here it is this checkout's build, on this repository.
kasane() { node "$ROOT/bin/kasane.js" --repo-root "$ROOT" "$@"; }

mapfile -t COMMANDS < <(grep -rhE '^[[:space:]]*(- )?kasane ' examples/ci | sed -E 's/^[[:space:]]*(- )?//' | sort -u)
[ "${#COMMANDS[@]}" -gt 0 ] || { echo "no kasane commands found under examples/ci" >&2; exit 1; }
mapfile -t ENVIRONMENTS < <(ls environments/*.yaml | xargs -n1 basename | sed 's/\.yaml$//')

needs_cluster() { [[ "$1" == "kasane sync "* ]] || { [[ "$1" == "kasane diff "* ]] && [[ "$1" != *"--from"* ]]; }; }

# Runs one example line in the work directory, as the pipeline would. A line that captures the exit
# code (`|| code=$?`, the --detailed-exitcode gate) fails only on 1 (an error), as in the examples.
run_line() {
  echo "+ KASANE_ENV=$KASANE_ENV BASE_REF=$BASE_REF $1"
  if (cd "$WORK" && code=0 && { eval "$1" >"$WORK/output" || exit $?; } && [ "$code" != 1 ]); then return 0; fi
  cat "$WORK/output"
  return 1
}

export BASE_REF=HEAD~1
has_parent() { git rev-parse --verify --quiet HEAD~1 >/dev/null; }
if ! has_parent && [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
  git fetch --quiet --deepen=1 2>/dev/null || true
fi

failed=0
for line in "${COMMANDS[@]}"; do
  needs_cluster "$line" && continue
  if [[ "$line" == *"--from"* ]] && ! has_parent; then
    echo "skipped (no parent commit in this clone): $line"
    continue
  fi
  # A line that does not name the environment runs once.
  environments=("${ENVIRONMENTS[@]}")
  [[ "$line" == *KASANE_ENV* ]] || environments=("${ENVIRONMENTS[0]}")
  for KASANE_ENV in "${environments[@]}"; do
    export KASANE_ENV
    run_line "$line" || { echo "FAILED: $line (KASANE_ENV=$KASANE_ENV)" >&2; failed=1; }
    if [[ "$line" == *"-o markdown"* ]] && ! grep -q "^### kasane diff: environment \`$KASANE_ENV\`" "$WORK/kasane-preview.md"; then
      echo "FAILED: $line wrote no preview for $KASANE_ENV" >&2
      failed=1
    fi
  done
done

# The cluster commands, in pipeline order (plan, sync, plan again), for the demo environment on a devcluster.
node "$ROOT/bin/kasane.js" devcluster --port 0 --kubeconfig-out "$WORK/kubeconfig" >"$WORK/devcluster.log" 2>&1 &
DEVCLUSTER_PID=$!
for _ in $(seq 1 300); do [ -s "$WORK/kubeconfig" ] && break; sleep 0.1; done
[ -s "$WORK/kubeconfig" ] || { cat "$WORK/devcluster.log" >&2; echo "the devcluster did not start" >&2; exit 1; }
export KUBECONFIG="$WORK/kubeconfig" KASANE_ENV=demo

expect_diff_exit() {
  local want="$1" got=0
  kasane diff --env "$KASANE_ENV" --detailed-exitcode >/dev/null || got=$?
  [ "$got" = "$want" ] || { echo "FAILED: kasane diff --detailed-exitcode exited $got, expected $want" >&2; failed=1; }
}
expect_diff_exit 2
for line in "${COMMANDS[@]}"; do
  needs_cluster "$line" || continue
  run_line "$line" || { echo "FAILED: $line (KASANE_ENV=$KASANE_ENV, devcluster)" >&2; failed=1; }
done
# After the examples' sync, the gate sees nothing left to do.
expect_diff_exit 0

if [ "$failed" -ne 0 ]; then
  echo "ci-examples: some example commands failed" >&2
  exit 1
fi
echo "ci-examples: ${#COMMANDS[@]} example commands ran against charts/ and environments/"
