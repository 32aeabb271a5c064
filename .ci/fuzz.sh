#!/usr/bin/env bash
# Runs every cargo-fuzz target in tests/fuzz for a fixed time, starting from its committed corpus.
#
#   .ci/fuzz.sh          # 20 s a target (what CI runs)
#   FUZZ_SECONDS=600 .ci/fuzz.sh basic_header list_query   # longer, some targets
#
# A crash, a failed property or a leak fails the run; libFuzzer writes the input to
# tests/fuzz/artifacts/<target>/ and prints how to reproduce it. Needs the nightly toolchain (present
# on this machine) and cargo-fuzz (installed here from crates.io when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-20}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "error: the nightly toolchain is missing; cargo fuzz needs it (rustup toolchain install nightly)" >&2
  exit 1
fi

fuzz=(cargo +nightly fuzz)
opts=(--fuzz-dir tests/fuzz --target-dir target/fuzz --sanitizer address)
"${fuzz[@]}" build "${opts[@]}"

targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <("${fuzz[@]}" list --fuzz-dir tests/fuzz)
fi
for t in "${targets[@]}"; do
  corpus="tests/fuzz/corpus/$t"
  mkdir -p "$corpus"
  # New finds go to a scratch directory; the committed corpus is read, never rewritten by CI.
  scratch="$(mktemp -d)"
  echo "== fuzz $t: ${seconds} s from $(ls "$corpus" | wc -l) corpus inputs =="
  log="$scratch.log"
  status=0
  "${fuzz[@]}" run "${opts[@]}" "$t" "$scratch" "$corpus" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|SUMMARY|Failing input)|panicked|ERROR: libFuzzer' "$log" || true
  if [[ "$status" != 0 ]]; then
    tail -n 60 "$log"
  fi
  rm -f "$log"
  rm -rf "$scratch"
  if [[ "$status" != 0 ]]; then
    echo "fuzz target $t failed (exit $status); the input is under tests/fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, no crash"
