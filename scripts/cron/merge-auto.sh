#!/usr/bin/env bash
# Merges an Rdb of one host's database the way Gigablast would once it has more than N data files
# (merge --auto: Gigablast's window of files, or the rest of an interrupted merge), for cron; reacts
# to every exit status of DESIGN.md §5. Example crontab lines: posdb every hour at night, bounded
# in time and disk, and titledb on Sundays:
#   15 0-6 * * *  /opt/shardtool/scripts/cron/merge-auto.sh /gb/host3 main posdb 6 ops@example.org
#   30 1 * * 0    /opt/shardtool/scripts/cron/merge-auto.sh /gb/host3 main titledb 4
# Arguments: <working dir> <database> <rdb> <N: merge from this many files on> [mail address].
# Environment: SHARDTOOL (binary), MERGE_MAX_SECONDS (default 3000: stop at a checkpoint in time for
# the next run, which continues), MERGE_MAX_EXTRA_DISK (e.g. 50G: chop consumed input parts),
# MERGE_RATE (MB/s), MERGE_OPTIONS (more options, e.g. "--cleanup-orphans --orphans-to /gb/moved").
# Reports go to <working dir>/shardtool/reports/merge-<db>-<rdb>-<date>.json (kept 30 days).
set -u
workdir=$1 db=$2 rdb=$3 min_files=$4 mailto=${5:-}
shardtool=${SHARDTOOL:-shardtool}
reports="$workdir/shardtool/reports"
mkdir -p "$reports"
report="$reports/merge-$db-$rdb-$(date +%Y%m%dT%H%M%S).json"
alert() {
  echo "shardtool merge $db.$rdb on $(hostname): $1" | logger -t shardtool-merge
  [ -n "$mailto" ] && command -v mail >/dev/null && mail -s "shardtool merge $db.$rdb on $(hostname): $1" "$mailto" < "$report"
}
# Count the data files first: below N (and no interrupted merge, which --auto would finish) there is
# nothing to do. Names: <rdb>NNNN.dat, titledbNNNN-000.dat, <rdb>NNNN.mmm.dat (no .partN).
files=$(find "$workdir"/coll."$db".*/ -maxdepth 1 -regextype posix-extended \
          -regex ".*/$rdb[0-9]{4,5}(-[0-9]{3})?\.dat" 2>/dev/null | wc -l)
pending=$(find "$workdir"/coll."$db".*/ -maxdepth 1 -regextype posix-extended \
          -regex ".*/$rdb[0-9]{4,5}(-[0-9]{3})?\.[0-9]{3}\.dat" 2>/dev/null | wc -l)
if [ "$files" -le "$min_files" ] && [ "$pending" -eq 0 ] && \
   ! ls "$workdir"/shardtool/journal/merge.*.json >/dev/null 2>&1; then
  exit 0
fi
opts=(--auto --min-files "$min_files" --max-duration "${MERGE_MAX_SECONDS:-3000}")
[ -n "${MERGE_MAX_EXTRA_DISK:-}" ] && opts+=(--max-extra-disk "$MERGE_MAX_EXTRA_DISK")
[ -n "${MERGE_RATE:-}" ] && opts+=(--rate "$MERGE_RATE")
# shellcheck disable=SC2206
[ -n "${MERGE_OPTIONS:-}" ] && opts+=($MERGE_OPTIONS)
nice -n 10 ionice -c3 "$shardtool" --workdir "$workdir" --json --progress never \
  merge "$db" --rdb "$rdb" "${opts[@]}" > "$report" 2>>"$reports/merge.log"
status=$?
case $status in
  0) ;;                                              # merged, or nothing to merge
  1) alert "problems found (see $report)" ;;         # not used by merge today
  2) alert "usage error: fix the cron line" ;;
  3) alert "not found or precondition failed (see $report; run shardtool init?)" ;;
  4) ;;                                              # busy (another merge, Gigablast running) or
                                                     # orphan cleanup deferred: the next run retries
  5) alert "stale placement: refresh the catalog" ;;
  6) ;;                                              # the collection changed under us: next run
  7) alert "I/O error or disk full: check the disks (the inputs are intact; the next run continues)" ;;
  8) alert "corrupt input blocks the merge: run shardtool verify $db --rdb $rdb" ;;
  9) ;;                                              # stopped at a checkpoint: the next run continues
  *) alert "internal error $status: report a bug" ;;
esac
find "$reports" -name "merge-$db-$rdb-*.json" -mtime +30 -delete 2>/dev/null
exit $status
