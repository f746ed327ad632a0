# Bash completion for shardtool. Installed as share/bash-completion/completions/shardtool; or load
# it by hand: `source scripts/completion/shardtool.bash`.
#
# Commands, subcommands and options come from the binary itself (`shardtool [CMD..] --help`, parsed
# at completion time and cached per shell), so they stay right when commands are added. Values:
# database names from the coll.<name>.<collnum>/ dirs of --workdir (or the current dir), Rdb names
# from the data files of that database (or the registry's list), views of the catalog for --view,
# and the fixed choices of --progress.

_shardtool_rdbs="titledb posdb indexdb clusterdb linkdb tagdb spiderdb doledb"
declare -gA _shardtool_help_cache 2>/dev/null || declare -A _shardtool_help_cache

# The --help text of `shardtool <path>` (cached).
_shardtool_help() {
  local key="$1:$*"
  if [[ -z ${_shardtool_help_cache[$key]+set} ]]; then
    # shellcheck disable=SC2086
    _shardtool_help_cache[$key]=$("$_shardtool_bin" $1 --help 2>/dev/null)
  fi
  printf '%s\n' "${_shardtool_help_cache[$key]}"
}

# Lines of one section ("Options:", "Subcommands:", "Positionals:") of a help text.
_shardtool_section() {
  awk -v s="$1" '
    /^[A-Za-z][A-Za-z ]*:$/ { on = ($0 == s); next }
    on && /^  [^ ]/ { print }'
}

_shardtool_subcommands() {
  _shardtool_help "$1" | _shardtool_section "Subcommands:" | awk '{print $1}'
}

# Long and short option names of `shardtool <path>`.
_shardtool_options() {
  _shardtool_help "$1" | _shardtool_section "Options:" |
    awk '{ n = split($1, a, ","); for (i = 1; i <= n; i++) if (a[i] ~ /^-/) print a[i] }'
}

# True when option $2 of `shardtool <path $1>` (or a global option) takes a value: CLI11 prints a
# type (TEXT, INT, UINT, FLOAT, ...) after it.
_shardtool_takes_value() {
  local path=$1 opt=$2 p
  for p in "$path" ""; do
    if _shardtool_help "$p" | _shardtool_section "Options:" |
        awk -v o="$opt" '{ n = split($1, a, ","); for (i = 1; i <= n; i++) if (a[i] == o) {
                               if ($2 ~ /^[A-Z]+/ && $2 != "REQUIRED") found = 1 } }
                         END { exit !found }'; then
      return 0
    fi
  done
  return 1
}

# Positional names of `shardtool <path>`, in order (db, path, KEY, ...).
_shardtool_positionals() {
  _shardtool_help "$1" | _shardtool_section "Positionals:" | awk '{print $1}'
}

_shardtool_databases() {
  local d n
  for d in "$1"/coll.*.*/; do
    [[ -d $d ]] || continue
    n=${d%/}
    n=${n##*/coll.}
    printf '%s\n' "${n%.*}"
  done | sort -u
}

# Rdbs with a data file in database $2's dirs, else every Rdb.
_shardtool_rdb_names() {
  local workdir=$1 db=$2 f found=""
  if [[ -n $db ]]; then
    for f in "$workdir"/coll."$db".*/*.dat; do
      [[ -e $f ]] || continue
      f=${f##*/}
      found+="${f%%[0-9]*} "
    done
  fi
  if [[ -n $found ]]; then
    printf '%s\n' $found | sort -u
  else
    printf '%s\n' $_shardtool_rdbs
  fi
}

# Entries of shardtool/quarantine/ (repair and quarantine commands).
_shardtool_quarantine() {
  local d
  for d in "$1"/shardtool/quarantine/*/; do
    [[ -d $d ]] || continue
    d=${d%/}
    printf '%s\n' "${d##*/}"
  done
}

_shardtool_views() {
  local cat="$1/shardtool/catalog.json"
  [[ -r $cat ]] || return
  sed -n 's/.*"ns": *"\([^"]*\)", *"viewOn".*/\1/p' "$cat"
}

_shardtool() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
  fi
  local _shardtool_bin=${words[0]}
  [[ $_shardtool_bin == */* || -n $(type -P "$_shardtool_bin") ]] || _shardtool_bin=shardtool
  # Walk the words before the cursor: global options (and their values), the command path, the
  # positionals given so far.
  local path="" workdir="." db="" npos=0 i w subs
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    if [[ $w == -* ]]; then
      if [[ $w != *=* ]] && _shardtool_takes_value "$path" "$w"; then
        [[ $w == --workdir ]] && workdir=${words[i+1]}
        ((i++))
      fi
      continue
    fi
    subs=$(_shardtool_subcommands "$path")
    if [[ $npos -eq 0 ]] && grep -qx -- "$w" <<<"$subs"; then
      path="${path:+$path }$w"
      continue
    fi
    [[ $npos -eq 0 ]] && db=$w
    ((npos++))
  done
  workdir=${workdir/#\~/$HOME}

  # The value of an option.
  if [[ $prev == -* ]] && _shardtool_takes_value "$path" "$prev"; then
    case $prev in
      --progress) COMPREPLY=($(compgen -W "auto always never" -- "$cur")) ;;
      --rdb) COMPREPLY=($(compgen -W "$(_shardtool_rdb_names "$workdir" "$db")" -- "$cur")) ;;
      --view) COMPREPLY=($(compgen -W "$(_shardtool_views "$workdir")" -- "$cur")) ;;
      --workdir|--dir|--stage-dir|--orphans-to|--to) COMPREPLY=($(compgen -d -- "$cur")) ;;
      --hosts|--file|--bookmark|--out) COMPREPLY=($(compgen -f -- "$cur")) ;;
      *) COMPREPLY=() ;;
    esac
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$({ _shardtool_options "$path"; [[ -n $path ]] && _shardtool_options ""; } |
                                awk '!seen[$0]++')" -- "$cur"))
    return
  fi
  subs=$(_shardtool_subcommands "$path")
  if [[ -n $subs && $npos -eq 0 ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    return
  fi
  local -a pos
  mapfile -t pos < <(_shardtool_positionals "$path")
  case ${pos[npos]:-} in
    db|DB|database) COMPREPLY=($(compgen -W "$(_shardtool_databases "$workdir")" -- "$cur")) ;;
    path|bundle|BUNDLE|file) COMPREPLY=($(cd "$workdir" 2>/dev/null && compgen -f -- "$cur")) ;;
    entry) COMPREPLY=($(compgen -W "$(_shardtool_quarantine "$workdir")" -- "$cur")) ;;
    *) COMPREPLY=() ;;
  esac
}

complete -F _shardtool shardtool
