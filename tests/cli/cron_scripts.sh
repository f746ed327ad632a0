#!/usr/bin/env bash
# The cron examples of scripts/cron/ against a fake shardtool that exits with each status of
# doc/architecture.md §5: who alerts, who waits for the next run, what the import of a drop dir does with a
# batch, and that each passes the status on.   cron_scripts.sh <shardtool> <shardtool-gen> <golden-dir>
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cron=$here/scripts/cron
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The fake binary logs its arguments and exits with $FAKE_EXIT.
cat > "$work/fake" <<'EOF'
#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
echo '{"fake": true}'
exit "$FAKE_EXIT"
EOF
cat > "$work/alert" <<'EOF'
#!/usr/bin/env bash
echo "$1" >> "$ALERT_LOG"
EOF
chmod +x "$work/fake" "$work/alert"
export SHARDTOOL=$work/fake ALERT_CMD=$work/alert FAKE_LOG=$work/calls ALERT_LOG=$work/alerts
export REPORT_DIR=$work/reports BUSY_ALERT_AFTER=3

wd=$work/host
mkdir -p "$wd/coll.main.0"
for i in 1 3 5 7 9; do : > "$wd/coll.main.0/posdb000$i.dat"; done

# Expected reaction per status: A = alert, - = no alert (wait for the next run).
declare -A want=([0]=- [1]=A [2]=A [3]=A [4]=- [5]=A [6]=- [7]=A [8]=A [9]=- [70]=A)

run() {  # <status> <script> <args...>: sets got_status, alerted, calls
  local st=$1; shift
  rm -f "$work/alerts" "$work/calls" "$REPORT_DIR"/*.not-run
  FAKE_EXIT=$st bash "$@" >/dev/null 2>&1
  got_status=$?
  alerted=$([ -s "$work/alerts" ] && echo A || echo -)
  calls=$(cat "$work/calls" 2>/dev/null | wc -l)
}

for st in 0 1 2 3 4 5 6 7 8 9 70; do
  run "$st" "$cron/verify-nightly.sh" "$wd" main
  [ "$got_status" = "$st" ] || fail "verify-nightly: exit $got_status for status $st"
  [ "$alerted" = "${want[$st]}" ] || fail "verify-nightly: status $st alert '$alerted', want '${want[$st]}'"
  grep -q -- "--workdir $wd --json --progress never verify main" "$work/calls" || fail "verify args: $(cat "$work/calls")"

  run "$st" "$cron/merge-auto.sh" "$wd" main posdb 4
  [ "$got_status" = "$st" ] || fail "merge-auto: exit $got_status for status $st"
  [ "$alerted" = "${want[$st]}" ] || fail "merge-auto: status $st alert '$alerted', want '${want[$st]}'"
  grep -q -- "merge main --rdb posdb --auto --min-files 4" "$work/calls" || fail "merge args: $(cat "$work/calls")"
done

# merge-auto: at or below N files nothing runs.
run 0 "$cron/merge-auto.sh" "$wd" main posdb 5
[ "$calls" = 0 ] && [ "$got_status" = 0 ] || fail "merge-auto ran with 5 files and N=5"
# ...unless a merge target (an interrupted merge) is there.
: > "$wd/coll.main.0/posdb0000.002.dat"
run 0 "$cron/merge-auto.sh" "$wd" main posdb 5
[ "$calls" = 1 ] || fail "merge-auto did not finish an interrupted merge"
rm "$wd/coll.main.0/posdb0000.002.dat"
# ...or its journal; another Rdb's journal does not count.
mkdir -p "$wd/shardtool/journal"
echo '{"database": "main", "rdb": "titledb"}' > "$wd/shardtool/journal/merge.u1.json"
run 0 "$cron/merge-auto.sh" "$wd" main posdb 5
[ "$calls" = 0 ] || fail "merge-auto ran for another Rdb's journal"
echo '{"database": "main", "rdb": "posdb"}' > "$wd/shardtool/journal/merge.u2.json"
run 0 "$cron/merge-auto.sh" "$wd" main posdb 5
[ "$calls" = 1 ] || fail "merge-auto did not finish a journalled merge"
rm -r "$wd/shardtool/journal"

# Busy three runs in a row: the third alerts; a clean run resets the count.
rm -f "$REPORT_DIR"/*.not-run "$work/alerts"
for i in 1 2; do FAKE_EXIT=4 bash "$cron/verify-nightly.sh" "$wd" main >/dev/null 2>&1; done
[ -s "$work/alerts" ] && fail "verify alerted after 2 busy runs"
FAKE_EXIT=4 bash "$cron/verify-nightly.sh" "$wd" main >/dev/null 2>&1
grep -q "3 runs in a row" "$work/alerts" || fail "verify did not alert after 3 busy runs"
FAKE_EXIT=0 bash "$cron/verify-nightly.sh" "$wd" main >/dev/null 2>&1
[ -e "$REPORT_DIR/verify-main.not-run" ] && fail "a clean run did not reset the busy count"

# import-drop: batches with READY are imported in order; 0 and 1 move them to done/, others stay.
for st in 0 1 2 3 4 5 6 7 8 9 70; do
  drop=$work/drop-$st
  rm -rf "$drop"
  mkdir -p "$drop/a" "$drop/b" "$drop/c"
  touch "$drop/a/READY" "$drop/b/READY"           # c is still being copied
  run "$st" "$cron/import-drop.sh" "$wd" main "$drop"
  [ "$alerted" = "${want[$st]}" ] || fail "import-drop: status $st alert '$alerted', want '${want[$st]}'"
  grep -q -- "import --dir $drop/a --db main --max-duration 3000" "$work/calls" || fail "import args: $(cat "$work/calls")"
  grep -q -- "--dir $drop/c" "$work/calls" && fail "import-drop imported an incomplete batch"
  case $st in
    0|1) [ -d "$drop/done/a" ] && [ -d "$drop/done/b" ] || fail "status $st: batches not moved to done/"
         [ "$got_status" = "$st" ] || fail "import-drop: exit $got_status for status $st" ;;
    5)   [ "$calls" = 2 ] || fail "import-drop: stale placement not retried once ($calls calls)"
         [ -d "$drop/a" ] && [ ! -e "$drop/done/a" ] || fail "status 5: batch moved"
         [ "$got_status" = 5 ] || fail "import-drop: exit $got_status for status 5" ;;
    9|4|6) [ -d "$drop/a" ] && [ ! -e "$drop/done/a" ] || fail "status $st: batch moved"
         [ "$calls" = 1 ] || fail "status $st: went on to the next batch"
         [ "$got_status" = "$st" ] || fail "import-drop: exit $got_status for status $st" ;;
    *)   [ -d "$drop/a" ] || fail "status $st: batch moved"
         [ "$got_status" = "$st" ] || fail "import-drop: exit $got_status for status $st" ;;
  esac
done
# Nothing ready: nothing runs, exit 0.
mkdir -p "$work/empty/x"
run 0 "$cron/import-drop.sh" "$wd" main "$work/empty"
[ "$calls" = 0 ] && [ "$got_status" = 0 ] || fail "import-drop ran without a ready batch"
# Usage errors.
bash "$cron/verify-nightly.sh" >/dev/null 2>&1; [ $? -eq 2 ] || fail "verify-nightly without args"
bash "$cron/merge-auto.sh" "$wd" main >/dev/null 2>&1; [ $? -eq 2 ] || fail "merge-auto without N"
bash "$cron/import-drop.sh" "$wd" main >/dev/null 2>&1; [ $? -eq 2 ] || fail "import-drop without a drop dir"
echo "cron_scripts.sh: all checks passed"
