#!/bin/sh
# Ansible inventory of a shardtool cluster, made from Gigablast's hosts.conf by
# `shardtool cluster inventory` (groups: shardtool, shard_<n>, mirror_<m>; host variables
# ansible_host, shardtool_workdir, shardtool_host_id, shardtool_shard, shardtool_mirror).
#   ansible-playbook -i deploy/ansible/inventory.sh deploy/ansible/verify.yml
# Environment: SHARDTOOL_HOSTS (the hosts.conf; default ./hosts.conf), SHARDTOOL_BIN (the
# shardtool that reads it on the controller; default: shardtool on PATH).
set -eu
bin=${SHARDTOOL_BIN:-shardtool}
hosts=${SHARDTOOL_HOSTS:-hosts.conf}
case "${1:-}" in
  --list)
    exec "$bin" cluster inventory --hosts "$hosts" ;;
  --host)
    # Every host's variables are in --list's _meta, so Ansible never asks; answer anyway.
    echo '{}' ;;
  *)
    echo "usage: $0 --list | --host NAME   (SHARDTOOL_HOSTS=hosts.conf SHARDTOOL_BIN=shardtool)" >&2
    exit 2 ;;
esac
