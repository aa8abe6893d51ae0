#!/usr/bin/env bash
# The mase-hw demo: bert-tiny generated into a stitched streaming design (forks, FIFOs,
# transposes, lane converters, weight ROMs), checked against the float model and run
# in Verilator bit for bit; the design linted; a real checkpoint (all-MiniLM-L6-v2)
# calibrated on sentences, its accuracy vs float and its first layer in Verilator; then one component (a 16-lane linear
# layer) through golden and Verilator, a short regression and the co-simulation
# benchmark. Run through `make demo`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/.hwenv/shim:$root/.hwenv/bin:$PATH"
M="$root/target/release/mase-hw"
out="$root/out/demo"
rm -rf "$out"
mkdir -p "$out"
P=(-p IN_SIZE=64 -p OUT_SIZE=16 -p IN_PARALLELISM=16 -p OUT_PARALLELISM=4
   -p IN_WIDTH=8 -p IN_FRAC_WIDTH=4 -p WEIGHT_WIDTH=8 -p WEIGHT_FRAC_WIDTH=6
   -p BIAS_WIDTH=16 -p BIAS_FRAC_WIDTH=10 -p OUT_WIDTH=8 -p OUT_FRAC_WIDTH=3
   -p ROUNDING=RND_CONV -p OVERFLOW=SAT -p WEIGHTS_FROM_ROM=1)

step() { printf '\n== %s\n' "$*"; }

step "gen: bert-tiny (2 layers, hidden 64, 4 heads, 8 tokens), 16-bit activations, 8-bit weights, 4 lanes"
"$M" gen --model examples/bert-tiny.json --config examples/bert-tiny-q.toml -o "$out/bert-tiny" --verilator

step "the generated design: lint (Verilator -Wall) and compile (Icarus)"
(cd "$out/bert-tiny" && verilator --lint-only -Wall --quiet-stats -f filelist.f && echo "verilator --lint-only -Wall: clean")
(cd "$out/bert-tiny" && iverilog -g2012 -o "$out/bert-tiny.vvp" -s mh_bert_tiny $(grep '\.sv$' filelist.f) && echo "iverilog -g2012: compiles")

step "sim system: 4 sequences back to back through the generated directory, golden and Verilator"
"$M" sim system "$out/bert-tiny" --random 4 --engine golden --output "$out/bert-golden.json"
"$M" sim system "$out/bert-tiny" --random 4 --engine verilator --output "$out/bert-verilator.json"
cmp "$out/bert-golden.json" "$out/bert-verilator.json" && echo "bert-golden.json and bert-verilator.json are identical"

ck="$root/.hwenv/models/all-MiniLM-L6-v2"
if [ -f "$ck/model.safetensors" ]; then
    step "real checkpoint: all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads of 32), 16 tokens, 16-bit, calibrated on 8 sentences, measured on 4 others"
    "$M" gen --model "$ck" --seq-len 16 --calibration-text examples/sentences-calibration.txt \
        --eval-text examples/sentences-eval.txt --min-cosine 0.9999 -o "$out/minilm"

    step "real checkpoint with 8-bit weights: per tensor, per output channel, MX blocks of 32 (MXINT8)"
    for g in per_tensor per_channel mx; do
        "$M" gen --model "$ck" --seq-len 16 --config "examples/minilm-w8-$g.toml" \
            --calibration-text examples/sentences-calibration.txt \
            --eval-text examples/sentences-eval.txt -o "$out/minilm-w8-$g" | grep -E '^(accuracy|weights)'
    done

    step "real checkpoint, first layer at 8 tokens, 4 lanes: quantized design -> accuracy vs float -> Verilator bit-exact"
    "$M" gen --model "$ck" --layers 1 --seq-len 8 --config examples/minilm-q.toml \
        --calibration-text examples/sentences-calibration.txt --eval-text examples/sentences-eval.txt \
        --verilator -o "$out/minilm-layer0"
    "$M" sim system "$out/minilm-layer0" --weights "$ck" --engine verilator --min-cosine 0.999 \
        --text "A man is playing a guitar on the stage." --text "The train was delayed by a signal failure."
else
    step "real checkpoint: skipped ($ck missing; scripts/setup.sh installs it)"
fi

step "gen: jsc-mlp at full parallelism (II 1; timing of chains is predicted exactly)"
"$M" gen --model examples/jsc-mlp.json --config examples/jsc-mlp-full.toml -o "$out/jsc" --items 8

step "components"
"$M" components | grep -E '^[a-z_]+ '

step "linear: golden model on 32 random rows"
"$M" sim component linear "${P[@]}" --random 32 --seed 7 --save-inputs "$out/inputs.json" \
    --output "$out/golden.json" --engine golden

step "linear: the same rows through Verilator (built, cached, driven from Rust)"
"$M" sim component linear "${P[@]}" --inputs "$out/inputs.json" --output "$out/verilator.json" --engine verilator
cmp "$out/golden.json" "$out/verilator.json" && echo "golden.json and verilator.json are identical"

step "emit linear with its ROMs, then lint (Verilator -Wall) and compile (Icarus)"
"$M" emit linear "${P[@]}" --inputs "$out/inputs.json" -o "$out/linear"
(cd "$out/linear" && verilator --lint-only -Wall --quiet-stats -f filelist.f && echo "verilator --lint-only -Wall: clean")
(cd "$out/linear" && iverilog -g2012 -Wall -o "$out/linear.vvp" -s linear_top $(grep '\.sv$' filelist.f) && echo "iverilog -g2012: compiles")
head -c 600 "$out/linear/linear_top.signature.json"; echo " ..."

step "regression: linear and cast, corners + 1 random configuration, 4 stall patterns"
"$M" test linear cast --configs 1 --vectors 1

step "benchmark: Rust-driven Verilator vs a hand-written C++ loop"
"$M" bench cosim --cycles 100000 --reps 3
