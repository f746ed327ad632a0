#!/usr/bin/env bash
# scripts/completion/shardtool.bash loads in bash without errors and completes commands (read from
# the binary's --help), options, database names and Rdb names.   completion.sh <shardtool> ...
set -euo pipefail
st=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$work/w/coll.main.0" "$work/w/coll.logs.3" "$work/w/coll.bad"
touch "$work/w/coll.main.0/posdb0001.dat" "$work/w/coll.main.0/titledb0001-000.dat" \
      "$work/w/coll.logs.3/linkdb0001.dat"

# Loading prints nothing and defines the function and the completion.
out=$(bash -c "set -u; source '$here/scripts/completion/shardtool.bash' && complete -p shardtool" 2>&1) ||
  fail "loading failed: $out"
[ "$out" = "complete -F _shardtool shardtool" ] || fail "unexpected output while loading: $out"

cat > "$work/t.sh" <<EOT
source '$here/scripts/completion/shardtool.bash'
comp() { COMP_WORDS=("\$@"); COMP_CWORD=\$(( \${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _shardtool; echo "\${COMPREPLY[*]}"; }
EOT
c() { bash -c "source '$work/t.sh'; comp \"\$@\"" _ "$st" "$@"; }

# Every command of the binary, and only those.
want=$("$st" --help | awk '/^Subcommands:/{on=1;next} on && /^  [^ ]/{print $1}' | tr '\n' ' ')
[ -n "$want" ] || fail "no commands in --help"
[ "$(c "") " = "$want" ] || fail "commands: '$(c "")' want '$want'"
[ "$(c ver)" = "verify" ] || fail "ver -> '$(c ver)'"
[ "$(c inspect "")" = "file map records db catalog key tree" ] || fail "inspect subcommands: '$(c inspect "")'"
# Options: the command's and the global ones; values of --progress.
[ "$(c verify --th)" = "--threads" ] || fail "verify --th -> '$(c verify --th)'"
[ "$(c --wo)" = "--workdir" ] || fail "--wo -> '$(c --wo)'"
[ "$(c inspect key --pay)" = "--payload" ] || fail "inspect key --pay -> '$(c inspect key --pay)'"
[ "$(c inspect records --json --vi)" = "--view" ] || fail "records --vi"
[ "$(c --progress "")" = "auto always never" ] || fail "--progress values: '$(c --progress "")'"
# Database names from --workdir, after global options with values.
[ "$(c --workdir "$work/w" verify "")" = "logs main" ] || fail "databases: '$(c --workdir "$work/w" verify "")'"
[ "$(c --workdir "$work/w" --json --lock-timeout 5 inspect db m)" = "main" ] || fail "db after options"
[ "$(c --workdir "$work/w" merge main --rdb "")" = "posdb titledb" ] || fail "rdbs of main: '$(c --workdir "$work/w" merge main --rdb "")'"
[ "$(c --workdir "$work/w" merge logs --rdb "")" = "linkdb" ] || fail "rdbs of logs"
[ "$(c --workdir "$work/w" inspect key main --rdb t)" = "titledb" ] || fail "inspect key --rdb"
# Repair and quarantine: the subcommands; quarantine entries; databases of quarantine list.
[ "$(c repair "")" = "map sidecar misplaced" ] || fail "repair subcommands: '$(c repair "")'"
[ "$(c --workdir "$work/w" repair misplaced "")" = "logs main" ] || fail "repair misplaced databases"
[ "$(c --workdir "$work/w" repair misplaced main --rdb "")" = "posdb titledb" ] || fail "repair misplaced --rdb"
[ "$(c quarantine "")" = "list export drop" ] || fail "quarantine subcommands: '$(c quarantine "")'"
mkdir -p "$work/w/shardtool/quarantine/main.posdb.s1.x"
[ "$(c --workdir "$work/w" quarantine drop m)" = "main.posdb.s1.x" ] || fail "quarantine entries"
[ "$(c --workdir "$work/w" quarantine list "")" = "logs main" ] || fail "quarantine list databases"
# From the current directory when there is no --workdir.
[ "$( cd "$work/w" && c verify "")" = "logs main" ] || fail "databases from cwd"
echo "completion.sh: all checks passed"
