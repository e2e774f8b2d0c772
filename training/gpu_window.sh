#!/usr/bin/env bash
# The prepared commands for a lent GPU machine (DEVELOPERS.md: about 15 minutes of device time a session,
# at most 10 minutes a command, 8 files of at most 16 MiB back under $OUT). Two calls:
#
#   bash training/gpu_window.sh check   # ~5 min: issue 50's CUDA checks, issue 51's inference check and
#                                       # both data generators' rates (benchmarks/gpu_check.py, training.data_speed)
#   SECONDS_TRAIN=N bash training/gpu_window.sh train   # ~8 min: one training run (training.gpu_run)
#
# A machine stays warm only 30 s after a call (device README): call train at once, with SECONDS_TRAIN the
# reply's lease.budget_left_s less about 90 (at most 480). check leaves its data advice in
# training/runs/gpu_advice.env (ignored, so it stays on the warm machine) and train reads it there; on a
# fresh machine train uses the defaults below. Then give the machine back.
#
# Then here: python -m training.gpu_run --join FOLDER, and record every figure with its command.
#
#   bash training/gpu_window.sh rehearse   # here, on the CPU: the same programs, small and short, under
#                                          # the GPU image's Python 3.12 and torch 2.11 (make gpu-rehearsal)
set -euo pipefail
OUT=${OUT:?the device tool sets OUT}
ADVICE=${ADVICE:-training/runs/gpu_advice.env}
case "${1:-}" in
  check)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
    # each step runs whatever the one before it did: a failed CUDA check must not cost the data advice
    timeout 240 python3 benchmarks/gpu_check.py --device cuda --out "$OUT" 2>&1 | tee "$OUT/gpu_check.log" \
      || echo "gpu_check failed (exit ${PIPESTATUS[0]}): see gpu_check.log" | tee -a "$OUT/failed.txt"
    rm -f "$ADVICE"
    timeout 220 python3 -m training.data_speed --device cuda --seconds 15 --processes 8 --together "${TOGETHER:-16}" \
      --advice-file "$ADVICE" 2>&1 | tee "$OUT/data_speed.log" \
      || echo "data_speed failed (exit ${PIPESTATUS[0]}): see data_speed.log" | tee -a "$OUT/failed.txt"
    cp "$ADVICE" "$OUT/" 2>/dev/null || echo "no advice written: train will use its defaults"
    ;;
  train)
    # SECONDS_TRAIN: the device time left (the reply's lease.budget_left_s) less about 90 s, at most 480.
    # DATA, DEVICE_WORKERS, WORKERS: from check's advice file unless DATA is given. LR: the learning
    # rate (training/README.md: A CPU pilot of the recipe). TOGETHER: solids the device generator traces at once
    # (16; 32 halves its operations per solid, at about 8 GiB per tracing process at 256²). AVERAGE_FROM:
    # gpu_run --average-from (0.5; 0: the endpoint). FREEZE_STEM: gpu_run --freeze-stem unless set empty.
    # gpu_run's --plain-share 0.5 draws half the seeds plain (training/README.md: the pilots; 0.75 was no
    # better once a second run of it was measured).
    FREEZE_STEM=${FREEZE_STEM-1}               # on unless set empty: FREEZE_STEM= bash … train
    if [[ -z "${DATA:-}" && -f "$ADVICE" ]]; then
      # shellcheck disable=SC1090
      source "$ADVICE"
    fi
    # each default once, after the advice: unset or empty takes it
    : "${DATA:=device}" "${DEVICE_WORKERS:=0}" "${WORKERS:=14}" "${LR:=3e-5}" "${TOGETHER:=16}" \
      "${SECONDS_TRAIN:=480}" "${AVERAGE_FROM:=0.5}"
    echo "train: DATA=$DATA DEVICE_WORKERS=$DEVICE_WORKERS WORKERS=$WORKERS LR=$LR" \
      "TOGETHER=$TOGETHER SECONDS_TRAIN=$SECONDS_TRAIN AVERAGE_FROM=$AVERAGE_FROM" \
      "FREEZE_STEM=${FREEZE_STEM:-}" | tee "$OUT/settings.txt"
    timeout 560 python3 -m training.gpu_run --out "$OUT" --seconds "$SECONDS_TRAIN" --data "$DATA" \
      --device-workers "$DEVICE_WORKERS" --workers "$WORKERS" --lr "$LR" \
      --together "$TOGETHER" --average-from "$AVERAGE_FROM" ${FREEZE_STEM:+--freeze-stem} 2>&1 | tail -40
    ;;
  rehearse)
    python3 -c "import sys, torch; print('python', sys.version.split()[0], 'torch', torch.__version__)" | tee "$OUT/versions.txt"
    python3 benchmarks/gpu_check.py --device cpu --small --out "$OUT" 2>&1 | tee "$OUT/gpu_check.log"
    python3 -m training.data_speed --device cpu --size 128 --seconds 10 --processes 2 --together 4 \
      --advice-file "$OUT/gpu_advice.env" 2>&1 | tee "$OUT/data_speed.log"
    grep -q '^DATA=' "$OUT/gpu_advice.env"
    python3 -m training.gpu_run --out "$OUT/run" --device cpu --data device --views 8 --together 4 --workers 1 \
      --seconds 60 --size 128 --batch 8 --val 8 2>&1 | tail -5
    python3 -m training.gpu_run --out "$OUT/run-processes" --device cpu --data device --device-workers 1 --views 8 \
      --workers 1 --seconds 45 --size 128 --batch 8 --val 4 2>&1 | tail -3
    python3 -m training.gpu_run --join "$OUT/run"
    echo "rehearsal passed: check and train ran on the CPU under these versions"
    ;;
  *)
    echo "usage: bash training/gpu_window.sh check|train|rehearse" >&2
    exit 2
    ;;
esac
