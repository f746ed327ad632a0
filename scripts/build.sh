#!/usr/bin/env bash
# Configures and builds one configuration:
#   scripts/build.sh <build-dir> [cmake options...] [-- targets...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
[ $# -gt 0 ] && shift
cmake -S "$here" -B "$dir" -G Ninja "${opts[@]}" >/dev/null
ninja -C "$dir" "$@"
