#!/usr/bin/env bash
# Installs whatever shardtool needs to build and test that is missing (Debian packages only).
# Safe to rerun: it installs nothing when everything is present.
set -euo pipefail

packages=(cmake ninja-build g++ clang libclang-rt-14-dev pkg-config
          libcli11-dev nlohmann-json3-dev libzstd-dev libgtest-dev zlib1g-dev
          jq python3   # jq and python3: the shell test suites read JSON output with them
          ansible-core openssh-server rsync iproute2   # deploy/ansible and its test tests/cluster/
          time)  # GNU time: peak memory in bench/reshard_bench.sh
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
