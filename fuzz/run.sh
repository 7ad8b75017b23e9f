#!/usr/bin/env bash
# Runs every fuzz target for a fixed time (default 60 s each) and reports executions and
# crashes. Uses the installed stable toolchain with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs
# nightly flags). Needs cargo-fuzz: `cargo install cargo-fuzz`.
#   fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
export RUSTC_BOOTSTRAP=1
status=0
for target in filter_parse axl_response json_pages rules_toml; do
  log="$(mktemp)"
  if cargo fuzz run "$target" -- -max_total_time="$secs" -rss_limit_mb=2048 >"$log" 2>&1; then
    runs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1)
    echo "$target: ${runs:-?} executions in ${secs}s, no crash"
  else
    status=1
    echo "$target: CRASH (artifact in fuzz/artifacts/$target/):"
    grep -E 'panicked|ERROR|artifact' "$log" | head -5
  fi
  rm -f "$log"
done
exit $status
