#!/usr/bin/env bash
# The GPU path checked by one script, in under 5 minutes on one GPU: the timing-accuracy bench
# (ResNet-50, DenseNet-121, VGG-16 and GoogLeNet at batch 1 and 32, fp32 and bf16, against a
# bare CUDA-event loop and torch.profiler) and live fps on CUDA. Writes bench/RESULTS.md with
# the date, the device and the outputs, only once everything ran. Refuses, with one line and
# status 1, where torch sees no CUDA GPU.
#
# Run from anywhere: bench/gpu_check.sh (PYTHON=... to choose the interpreter; default
# .venv/bin/python, else python3).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

if ! "$PY" -c "import torch" 2>/dev/null; then
    echo "gpu_check: $PY cannot import torch (set PYTHON to the project's interpreter)" >&2
    exit 1
fi
if ! "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_check: no CUDA GPU here (torch.cuda.is_available() is false): nothing measured" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
"$PY" bench/timing_accuracy.py --device cuda --dtype fp32 bf16 --batch 1 32 --profiler \
    resnet50 densenet121 vgg16 googlenet | tee "$work/timing.txt"
"$PY" bench/live_fps.py --device cuda | tee "$work/live.txt"
"$PY" bench/live_fps.py --device cuda --dtype bf16 | tee -a "$work/live.txt"
elapsed=$(( $(date +%s) - started ))

device=$("$PY" -c "import torch; print(torch.cuda.get_device_name(0))")
versions=$("$PY" -c "import torch; print(f'torch {torch.__version__}, CUDA {torch.version.cuda}')")
driver=$(nvidia-smi --query-gpu=driver_version,memory.total --format=csv,noheader 2>/dev/null \
         | head -1 || true)
{
    echo "# GPU check results"
    echo
    echo "Written by \`bench/gpu_check.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), in ${elapsed} s."
    echo
    echo "- Device: ${device}${driver:+ (driver, memory: ${driver})}"
    echo "- Software: ${versions}"
    echo "- Commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo
    echo "## Timing accuracy"
    echo
    echo "\`bench/timing_accuracy.py --device cuda --dtype fp32 bf16 --batch 1 32 --profiler" \
         "resnet50 densenet121 vgg16 googlenet\` (columns: see bench/README.md)"
    echo
    echo '```'
    cat "$work/timing.txt"
    echo '```'
    echo
    echo "## Live fps"
    echo
    echo "\`bench/live_fps.py --device cuda\` and \`--dtype bf16\`"
    echo
    echo '```'
    cat "$work/live.txt"
    echo '```'
} > "$work/RESULTS.md"
mv "$work/RESULTS.md" bench/RESULTS.md
echo "wrote bench/RESULTS.md (${elapsed} s)"
