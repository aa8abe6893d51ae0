#!/usr/bin/env bash
# Mutation check: applies each planted bug to a scratch copy of the committed tree and
# runs the test that must catch it. Prints one line per mutant and the score; exits 1
# unless every mutant is caught. Usage: scripts/mutants.sh [N ...] (default: all).
# CARGO_TARGET_DIR may point at a shared target directory to reuse builds.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mase-hw-mutants.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# id | file | sed expression | test command
mutants=(
  "1|golden/src/fixed.rs|s/q & 1 == 1)/q \& 1 == 0)/|cargo test -q -p golden"
  "2|components/cast/mh_cast_lane.sv|s/assign inc = r > H;/assign inc = r >= H;/|cargo test -q -p testbenches --test cast"
  "3|components/fifo/mh_fifo.sv|s/in_ready <= (count_next != FULL_COUNT);/in_ready <= 1'b1;/|cargo test -q -p testbenches --test fifo"
  "4|golden/src/gelu.rs|s/output.from_f64(gelu_f64(x), r, o)/output.from_f64(gelu_f64(x), Rounding::Rnd, o)/|cargo test -q -p golden --test tables"
  "5|generator/src/components/cast.rs|0,/initiation_interval: 1,/s//initiation_interval: 3,/|cargo test -q -p testbenches --test cast"
)
want=("$@")
caught=0 total=0
for m in "${mutants[@]}"; do
  IFS='|' read -r id file expr cmd <<<"$m"
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " =~ " $id " ]]; then continue; fi
  total=$((total + 1))
  rm -rf "$scratch/src" && mkdir -p "$scratch/src"
  (cd "$root" && git archive HEAD) | tar -x -C "$scratch/src"
  [ -e "$root/.hwenv" ] && ln -s "$(readlink -f "$root/.hwenv")" "$scratch/src/.hwenv"
  before=$(sha256sum "$scratch/src/$file")
  sed -i "$expr" "$scratch/src/$file"
  if [ "$before" = "$(sha256sum "$scratch/src/$file")" ]; then
    echo "mutant $id: NOT APPLIED ($file unchanged)"; continue
  fi
  if (cd "$scratch/src" && CI=true $cmd >"$scratch/log.$id" 2>&1); then
    echo "mutant $id ($file): SURVIVED ($cmd)"
  else
    echo "mutant $id ($file): caught"; caught=$((caught + 1))
  fi
done
echo "mutation score: $caught/$total caught"
[ "$caught" -eq "$total" ]
