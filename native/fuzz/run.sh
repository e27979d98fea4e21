#!/usr/bin/env bash
# Run every fuzz target for FUZZ_SECONDS (default 60) each, one after the other, with the nightly toolchain,
# then print a summary: executions, corpus size and crashes per target.
#   FUZZ_SECONDS=600 bash native/fuzz/run.sh            # all targets
#   FUZZ_SECONDS=30 bash native/fuzz/run.sh parser       # some targets
# Needs `cargo install cargo-fuzz` and `rustup toolchain install nightly`. Runs one job, one worker.
set -uo pipefail
cd "$(dirname "$0")"
SECONDS_EACH="${FUZZ_SECONDS:-60}"
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(parser engine sublist)
LOGDIR="${FUZZ_LOG_DIR:-target/fuzz-logs}"
mkdir -p "$LOGDIR"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2
  exit 2
fi

declare -A STATUS EXECS CORPUS CRASHES
failed=0
for t in "${TARGETS[@]}"; do
  echo "=== fuzz $t for ${SECONDS_EACH}s ==="
  mkdir -p "corpus/$t"
  log="$LOGDIR/$t.log"
  # Fresh work corpus under target/ so the committed seeds stay small; seeds are read from corpus/<t>.
  work="target/fuzz-corpus/$t"
  mkdir -p "$work"
  before=$(ls "artifacts/$t" 2>/dev/null | wc -l)
  cargo +nightly fuzz run "$t" "$work" "corpus/$t" -- \
    -max_total_time="$SECONDS_EACH" -max_len=4096 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  after=$(ls "artifacts/$t" 2>/dev/null | wc -l)
  EXECS[$t]=$(grep -E '^stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
  CORPUS[$t]="$(ls "$work" | wc -l) files, $(du -sh "$work" | cut -f1)"
  CRASHES[$t]=$((after - before))
  if [ $rc -eq 0 ]; then STATUS[$t]=ok; else STATUS[$t]="FAILED (exit $rc, see $log)"; failed=1; fi
  grep -E 'panicked at|^SUMMARY|Test unit written' "$log" | head -5
done

echo
echo "=== fuzz summary (${SECONDS_EACH}s per target) ==="
printf '%-8s %-12s %-24s %-8s %s\n' target execs corpus crashes status
for t in "${TARGETS[@]}"; do
  printf '%-8s %-12s %-24s %-8s %s\n' "$t" "${EXECS[$t]:-?}" "${CORPUS[$t]}" "${CRASHES[$t]}" "${STATUS[$t]}"
done
exit $failed
