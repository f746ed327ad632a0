#!/usr/bin/env bash
# Builds one configuration: scripts/build.sh <build-dir> [cmake options...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
cmake -S "$here" -B "$dir" -G Ninja "$@" >/dev/null
ninja -C "$dir"
