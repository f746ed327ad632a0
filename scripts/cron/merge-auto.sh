#!/usr/bin/env bash
# Merges an Rdb of one host's database the way Gigablast would once it has more than N data files
# (merge --auto: Gigablast's window of files, or the rest of an interrupted merge), for cron; reacts
# to every exit status of doc/architecture.md §5. Example crontab lines: posdb every hour at night, bounded
# in time and disk, and titledb on Sundays:
#   15 0-6 * * *  /opt/shardtool/scripts/cron/merge-auto.sh /gb/host3 main posdb 6 ops@example.org
#   30 1 * * 0    /opt/shardtool/scripts/cron/merge-auto.sh /gb/host3 main titledb 4
# Arguments: <working dir> <database> <rdb> <N: merge from this many files on> [mail address].
# Environment: SHARDTOOL (binary), MERGE_MAX_SECONDS (default 3000: stop at a checkpoint in time for
# the next run, which continues), MERGE_MAX_EXTRA_DISK (e.g. 50G: chop consumed input parts),
# MERGE_RATE (MB/s), MERGE_OPTIONS (more options, e.g. "--cleanup-orphans --orphans-to /gb/moved"),
# REPORT_DIR (default <working dir>/shardtool/reports; kept 30 days), BUSY_ALERT_AFTER (alert after
# this many runs in a row that could not merge: busy or deferred, aborted; default 6), ALERT_CMD (a
# command given the subject as its argument and the report on stdin; default syslog and mail).
# Exit status: 0 when there was nothing to do, else that of shardtool merge.
set -u
if [ $# -lt 4 ]; then
  echo "usage: $0 <working dir> <database> <rdb> <N> [mail address]" >&2
  exit 2
fi
workdir=$1 db=$2 rdb=$3 min_files=$4 mailto=${5:-}
shardtool=${SHARDTOOL:-shardtool}
reports=${REPORT_DIR:-$workdir/shardtool/reports}
mkdir -p "$reports" || exit 7
report="$reports/merge-$db-$rdb-$(date +%Y%m%dT%H%M%S).json"
streak_file="$reports/merge-$db-$rdb.not-run"
alert() {
  local subject="shardtool merge $db.$rdb on $(hostname): $1"
  if [ -n "${ALERT_CMD:-}" ]; then
    $ALERT_CMD "$subject" < "$report"
    return
  fi
  echo "$subject" | logger -t shardtool-merge
  if [ -n "$mailto" ] && command -v mail >/dev/null; then mail -s "$subject" "$mailto" < "$report"; fi
}
not_run() {
  local n
  n=$(( $(cat "$streak_file" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$streak_file"
  if [ "$n" -ge "${BUSY_ALERT_AFTER:-6}" ]; then alert "$1, $n runs in a row"; fi
}
# Count the data files first: up to N (and no interrupted merge of this Rdb, which --auto would
# finish) there is nothing to do. Names: <rdb>NNNN.dat, titledbNNNN-000.dat (no .partN); a merge
# target <rdb>NNNN.mmm.dat means a merge to finish.
files=$(find "$workdir"/coll."$db".*/ -maxdepth 1 -regextype posix-extended \
          -regex ".*/$rdb[0-9]{4,5}(-[0-9]{3})?\.dat" 2>/dev/null | wc -l)
pending=$(find "$workdir"/coll."$db".*/ -maxdepth 1 -regextype posix-extended \
          -regex ".*/$rdb[0-9]{4,5}(-[0-9]{3})?\.[0-9]{3}\.dat" 2>/dev/null | wc -l)
# A merge journal of this database and Rdb (shardtool/journal/merge.<uuid>.json) is a merge to
# finish too, even before its target file exists.
for j in "$workdir"/shardtool/journal/merge.*.json; do
  [ -f "$j" ] && grep -q "\"database\": *\"$db\"" "$j" && grep -q "\"rdb\": *\"$rdb\"" "$j" &&
    pending=$((pending + 1))
done
if [ "$files" -le "$min_files" ] && [ "$pending" -eq 0 ]; then
  rm -f "$streak_file"
  exit 0
fi
opts=(--auto --min-files "$min_files" --max-duration "${MERGE_MAX_SECONDS:-3000}")
[ -n "${MERGE_MAX_EXTRA_DISK:-}" ] && opts+=(--max-extra-disk "$MERGE_MAX_EXTRA_DISK")
[ -n "${MERGE_RATE:-}" ] && opts+=(--rate "$MERGE_RATE")
# shellcheck disable=SC2206
[ -n "${MERGE_OPTIONS:-}" ] && opts+=($MERGE_OPTIONS)
low=()
command -v nice >/dev/null && low+=(nice -n 10)
command -v ionice >/dev/null && low+=(ionice -c3)
"${low[@]}" "$shardtool" --workdir "$workdir" --json --progress never \
  merge "$db" --rdb "$rdb" "${opts[@]}" > "$report" 2>>"$reports/merge.log"
status=$?
case $status in
  4|6) ;;
  *) rm -f "$streak_file" ;;
esac
case $status in
  0) ;;                                              # merged, or nothing to merge
  1) alert "problems found (see $report)" ;;         # corrupt records quarantined
  2) alert "usage error: fix the cron line" ;;
  3) alert "not found or precondition failed (see $report; run shardtool init?)" ;;
  4) not_run "busy (another merge, Gigablast running) or orphan cleanup deferred" ;;
  5) alert "stale placement: refresh the catalog" ;;
  6) not_run "aborted: the collection changed under the merge" ;;  # the next run reruns
  7) alert "I/O error or disk full: check the disks (the inputs are intact; the next run continues)" ;;
  8) alert "corrupt input blocks the merge: run shardtool verify $db --rdb $rdb" ;;
  9) ;;                                              # stopped at a checkpoint: the next run continues
  *) alert "internal error (exit $status): report a bug" ;;
esac
find "$reports" -name "merge-$db-$rdb-*.json" -mtime +30 -delete 2>/dev/null
exit $status
