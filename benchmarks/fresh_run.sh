#!/bin/bash
# First run on a fresh machine: clone this repository, `make run`, and time until the chat's first
# page answers on 127.0.0.1 (docs/benchmarks.md, "First run on a fresh machine").
#   bash benchmarks/fresh_run.sh [PORT]
set -u
port=${1:-7899}
src=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
dir=$(mktemp -d)/fresh
git clone -q "$src" "$dir" && cd "$dir" || exit 1
start=$(date +%s.%N)
RAG_PORT=$port make run > "$dir.log" 2>&1 &
pid=$!
until curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$port/" 2>/dev/null | grep -q 200; do
  kill -0 "$pid" 2>/dev/null || { echo "make run stopped; see $dir.log"; exit 1; }
  sleep 1
done
echo "first page after $(echo "$(date +%s.%N) - $start" | bc) s (log: $dir.log)"
pkill -f "$dir/.venv/bin/rag"; kill "$pid" 2>/dev/null
