#!/usr/bin/env bash
# Mutation check: plants each known bug in a scratch copy of the committed tree and
# runs the tests that must catch it, each against an independent reference:
#   1 RND_CONV rounds ties to odd in golden       -> golden's num-bigint cast reference
#   2 mh_cast_lane rounds up on r >= H (not r > H) -> cast co-simulation vs golden
#   3 mh_fifo accepts beats while full (overfills) -> fifo co-simulation vs golden and
#                                                     the occupancy bound of the regression
#   4 golden's GELU table ignores ROUNDING         -> tables.rs: the float GELU rounded
#                                                     by each mode with an own rounding
#   5 cast's signature claims II 3 instead of 1    -> the regression's measured II
# Prints one line per mutant and the score; exits 1 unless every mutant is caught.
# Usage: scripts/mutants.sh [N ...] (default: all).
#
# The scratch tree is extracted once; each mutant edits one file, runs its tests and
# restores the file (with a fresh mtime, so cargo rebuilds what the mutant touched).
# Builds go to CARGO_TARGET_DIR (default target/mutants/target, kept between runs; seeded
# once from the tree's own target/release so dependencies are not rebuilt), with
# MUTANTS_CARGO_FLAGS (default --release), and Verilator models to MASE_HW_CACHE
# (default the tree's own cache: the cache key holds the sources, so a mutated component
# never reuses an unmutated build).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/target/mutants"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$work/target}"
export MASE_HW_CACHE="${MASE_HW_CACHE:-$root/target/mase-hw-cache}"
flags="${MUTANTS_CARGO_FLAGS---release}"
scratch="$work/src"
mkdir -p "$work" "$CARGO_TARGET_DIR"
if [ "$flags" = "--release" ] && [ ! -d "$CARGO_TARGET_DIR/release" ] && [ -d "$root/target/release" ]; then
  cp -a "$root/target/release" "$CARGO_TARGET_DIR/"
fi

# id | file | sed expression | test command
mutants=(
  "1|golden/src/fixed.rs|s/q & 1 == 1)/q \& 1 == 0)/|cargo test $flags -q -p golden"
  "2|components/cast/mh_cast_lane.sv|s/assign inc = r > H;/assign inc = r >= H;/|cargo test $flags -q -p testbenches --test cast"
  "3|components/fifo/mh_fifo.sv|s/in_ready_q <= (count_d != FULL_COUNT);/in_ready_q <= 1'b1;/|cargo test $flags -q -p testbenches --test fifo"
  "4|golden/src/gelu.rs|s/output.from_f64(gelu_f64(x), r, o)/output.from_f64(gelu_f64(x), Rounding::Rnd, o)/|cargo test $flags -q -p golden --test tables"
  "5|generator/src/components/cast.rs|0,/initiation_interval: 1,/s//initiation_interval: 3,/|cargo test $flags -q -p testbenches --test cast"
)
want=("$@")

rm -rf "$scratch" && mkdir -p "$scratch"
(cd "$root" && git archive HEAD) | tar -x -m -C "$scratch"
[ -e "$root/.hwenv" ] && ln -s "$(readlink -f "$root/.hwenv")" "$scratch/.hwenv"

# The unmutated tree must pass every command first, or "caught" would mean nothing.
declare -A baseline=()
for m in "${mutants[@]}"; do
  IFS='|' read -r id file expr cmd <<<"$m"
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " =~ " $id " ]]; then continue; fi
  [ -n "${baseline[$cmd]:-}" ] && continue
  baseline[$cmd]=1
  if ! (cd "$scratch" && CI=true $cmd >"$work/log.baseline" 2>&1); then
    echo "baseline: '$cmd' fails on the unmutated tree (log $work/log.baseline)"
    exit 1
  fi
  echo "baseline: '$cmd' passes"
done

caught=0 total=0
for m in "${mutants[@]}"; do
  IFS='|' read -r id file expr cmd <<<"$m"
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " =~ " $id " ]]; then continue; fi
  total=$((total + 1))
  log="$work/log.$id"
  cp "$scratch/$file" "$work/orig.$id"
  sed -i "$expr" "$scratch/$file"
  if cmp -s "$scratch/$file" "$work/orig.$id"; then
    echo "mutant $id: NOT APPLIED ($file unchanged)"
    continue
  fi
  start=$(date +%s)
  if (cd "$scratch" && CI=true $cmd >"$log" 2>&1); then
    verdict="SURVIVED ($cmd)"
  elif grep -qE '^error\[E[0-9]+\]|could not compile' "$log"; then
    verdict="NOT BUILT (the mutant does not compile; see the log)"
  else
    verdict="caught"; caught=$((caught + 1))
  fi
  echo "mutant $id ($file): $verdict in $(( $(date +%s) - start )) s; log $log"
  cp "$work/orig.$id" "$scratch/$file" && touch "$scratch/$file"
done
echo "mutation score: $caught/$total caught"
[ "$caught" -eq "$total" ]
