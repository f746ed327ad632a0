#!/usr/bin/env python3
"""Cluster reports of the shardtool playbooks, written on the controller.

    shardtool_report.py verify|catalog|merge REPORT_DIR HOSTS_JSON|-

HOSTS_JSON (or with "-", its base64 on stdin, then kept as REPORT_DIR/<kind>-hosts.json), made by
the playbook from what each host returned:
    {"hosts": [{"name", "host_id", "shard", "mirror", "reached", "rc", "stdout", "stderr", "msg",
                "steps": {...}}]}
A host that was never reached (or was lost mid-play) has "reached": false.

Writes REPORT_DIR/<kind>.json and REPORT_DIR/<kind>.txt, prints the problems (one line each,
naming the host) and exits 1 when there is any, else 0. An unreachable host counts as exit
status 7 ("fix the machine") in the cluster's worst exit status.
"""
import base64
import json
import os
import sys

UNREACHABLE_EXIT = 7


def load_doc(text):
    """The JSON document a shardtool --json run printed, or None."""
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def host_label(h):
    return "%s (id %s, shard %s)" % (h["name"], h["host_id"], h["shard"])


def error_text(h, doc):
    if doc and isinstance(doc.get("error"), dict):
        e = doc["error"]
        return "%s: %s" % (e.get("name"), e.get("message"))
    err = (h.get("stderr") or h.get("msg") or "").strip().splitlines()
    return err[-1] if err else "no output"


def write(out_dir, kind, doc, lines, raw=None):
    os.makedirs(out_dir, exist_ok=True)
    files = ([(kind + ".json", raw)] if raw is not None else
             [(kind + ".json", json.dumps(doc, indent=2) + "\n"), (kind + ".txt", "\n".join(lines) + "\n")])
    for name, text in files:
        tmp = os.path.join(out_dir, ".%s.tmp.%d" % (name, os.getpid()))
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, os.path.join(out_dir, name))


def table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def verify_findings(h, doc, limit=5):
    """Lines naming the files, rules and keys behind a host's verify exit 1."""
    out = []
    for f in doc.get("files", []):
        name = f.get("file")
        if f.get("not_owned"):
            sample = "; ".join("key %s (slot %s, owner shard %s)" % (m.get("key"), m.get("slot"), m.get("owner"))
                               for m in (f.get("misplaced_sample") or [])[:3])
            out.append("%s: %s: %s records not owned (misplaced)%s" % (
                host_label(h), name, f.get("not_owned"), ", e.g. " + sample if sample else ""))
        for x in (f.get("findings") or [])[:limit]:
            if x.get("severity") == "notice":
                continue
            out.append("%s: %s: %s %s at offset %s key %s: %s"
                       % (host_label(h), x.get("file") or name, x.get("severity"), x.get("rule"),
                          x.get("offset"), x.get("key"), x.get("message")))
    return out


def report_verify(hosts, out_dir):
    problems, rows_out, table_rows = [], [], [("host", "id", "shard", "exit", "files", "records",
                                               "not_owned", "errors", "seconds")]
    worst = 0
    by_shard = {}
    for h in hosts:
        doc = load_doc(h.get("stdout")) if h["reached"] else None
        code = h.get("rc") if h["reached"] else None
        eff = UNREACHABLE_EXIT if code is None else code
        worst = max(worst, eff)
        entry = {"host_id": h["host_id"], "shard": h["shard"], "exit": code, "report": doc}
        if not h["reached"]:
            entry["unreachable"] = True
            entry["message"] = (h.get("msg") or "").strip()
            problems.append("%s: unreachable: %s" % (host_label(h), entry["message"] or "no answer over SSH"))
        elif code != 0:
            if code == 1 and doc and "files" in doc:
                found = verify_findings(h, doc)
                problems.extend(found or ["%s: verify exit 1 (findings)" % host_label(h)])
            else:
                problems.append("%s: verify exit %s: %s" % (host_label(h), code, error_text(h, doc)))
        rows_out.append(entry)
        s = (doc or {}).get("summary") or {}
        table_rows.append((h["name"], h["host_id"], h["shard"],
                           "unreachable" if code is None else code, s.get("files", "-"),
                           s.get("records", "-"), s.get("not_owned", "-"), s.get("errors", "-"),
                           "%.2f" % s["seconds"] if isinstance(s.get("seconds"), (int, float)) else "-"))
        if doc and isinstance(doc.get("digests"), list):
            by_shard.setdefault(h["shard"], []).append((h, doc["digests"]))
        elif h["reached"] and code in (0, 1):
            problems.append("%s: verify printed no digests (needs shardtool verify --digest)"
                            % host_label(h))

    mirrors = []
    mirror_rows = [("shard", "collection", "agree", "digests")]
    for shard in sorted(by_shard):
        members = by_shard[shard]
        # A mirror without a report (unreachable, or verify failed) leaves the comparison open:
        # "agree" is null then (the host itself is reported as a problem).
        missing = [h for h in hosts if h["shard"] == shard and all(h is not m for m, _ in members)]
        collections = sorted({d["collection"] for _, ds in members for d in ds})
        for coll in collections:
            digests, records, incomplete = {}, {}, []
            for h, ds in members:
                d = next((d for d in ds if d.get("collection") == coll), None)
                # An incomplete digest (a file that did not decode to its end) has no value and
                # claims nothing: neither agreement nor disagreement.
                if d and (d.get("complete") is False or d.get("digest") is None):
                    incomplete.append(h)
                    problems.append("%s: digest of %s incomplete, mirrors not compared: %s"
                                    % (host_label(h), coll, d.get("incomplete") or "no digest"))
                digests[str(h["host_id"])] = d.get("digest") if d else None
                records[str(h["host_id"])] = d.get("records") if d else None
            agree = len(set(digests.values())) == 1 and None not in digests.values()
            if incomplete or (agree and missing):
                agree = None
            mirrors.append({"shard": shard, "collection": coll, "agree": agree,
                            "digests": digests, "records": records})
            mirror_rows.append((shard, coll, {True: "yes", False: "NO", None: "?"}[agree],
                                " ".join("%s:%s" % (k, (v or "-")[:16]) for k, v in digests.items())))
            if agree is False:
                problems.append("shard %s: mirrors disagree on %s: %s" % (
                    shard, coll, ", ".join("host id %s digest %s (%s records)" % (k, v, records[k])
                                           for k, v in digests.items())))
    doc = {"schema_version": 1, "exit": worst, "hosts": rows_out, "mirrors": mirrors}
    lines = ["shardtool cluster verify: exit %d, %d hosts, %d problems" % (worst, len(hosts), len(problems)),
             ""] + table(table_rows) + [""] + table(mirror_rows)
    if problems:
        lines += ["", "problems:"] + ["  " + p for p in problems]
    write(out_dir, "verify", doc, lines)
    return problems


def report_catalog(hosts, out_dir):
    problems, rows, table_rows = [], [], [("host", "id", "shard", "apply", "changed", "check")]
    for h in hosts:
        steps = h.get("steps") or {}
        apply_, check = steps.get("apply") or {}, steps.get("check") or {}
        apply_doc, check_doc = load_doc(apply_.get("stdout")), load_doc(check.get("stdout"))
        entry = {"host_id": h["host_id"], "shard": h["shard"], "reached": h["reached"],
                 "apply_exit": apply_.get("rc"), "changed": (apply_doc or {}).get("changed"),
                 "check_exit": check.get("rc"), "check": check_doc}
        if not h["reached"]:
            entry["message"] = (h.get("msg") or "").strip()
            problems.append("%s: unreachable: %s" % (host_label(h), entry["message"] or "no answer over SSH"))
        elif apply_.get("rc") != 0:
            problems.append("%s: catalog apply exit %s: %s" % (
                host_label(h), apply_.get("rc"), error_text(apply_, apply_doc)))
        elif check.get("rc") != 0:
            problems.append("%s: catalog does not agree (check exit %s)%s" % (
                host_label(h), check.get("rc"),
                ": " + json.dumps(check_doc.get("differences"))[:300]
                if check_doc and "differences" in check_doc else ""))
        rows.append(entry)
        table_rows.append((h["name"], h["host_id"], h["shard"],
                           "unreachable" if not h["reached"] else apply_.get("rc", "-"),
                           entry["changed"], check.get("rc", "-")))
    doc = {"schema_version": 1, "agree": not problems, "hosts": rows}
    lines = ["shardtool cluster catalog: %s" % ("every host agrees" if not problems else
                                                "%d hosts do not agree" % len(problems)), ""]
    lines += table(table_rows)
    if problems:
        lines += ["", "problems:"] + ["  " + p for p in problems]
    write(out_dir, "catalog", doc, lines)
    return problems


def report_merge(hosts, out_dir):
    problems, rows, table_rows = [], [], [("host", "id", "shard", "rdb", "exit")]
    for h in hosts:
        entry = {"host_id": h["host_id"], "shard": h["shard"], "reached": h["reached"], "rdbs": []}
        if not h["reached"]:
            entry["message"] = (h.get("msg") or "").strip()
            problems.append("%s: unreachable: %s" % (host_label(h), entry["message"] or "no answer over SSH"))
            table_rows.append((h["name"], h["host_id"], h["shard"], "-", "unreachable"))
        for r in (h.get("steps") or {}).get("merges") or []:
            doc = load_doc(r.get("stdout"))
            entry["rdbs"].append({"rdb": r.get("rdb"), "exit": r.get("rc"), "report": doc})
            table_rows.append((h["name"], h["host_id"], h["shard"], r.get("rdb"), r.get("rc")))
            if r.get("rc") == 4:
                continue  # busy: another merge holds the lock; the next run does it
            if r.get("rc") != 0:
                problems.append("%s: merge %s exit %s: %s" % (host_label(h), r.get("rdb"), r.get("rc"),
                                                            error_text(r, doc)))
        rows.append(entry)
    doc = {"schema_version": 1, "ok": not problems, "hosts": rows}
    lines = ["shardtool cluster merge: %d problems" % len(problems), ""] + table(table_rows)
    if problems:
        lines += ["", "problems:"] + ["  " + p for p in problems]
    write(out_dir, "merge", doc, lines)
    return problems


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("verify", "catalog", "merge"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[3] == "-":  # base64 of the JSON on stdin, kept as REPORT_DIR/<kind>-hosts.json
        text = base64.b64decode(sys.stdin.read()).decode("utf-8")
        os.makedirs(sys.argv[2], exist_ok=True)
        write(sys.argv[2], sys.argv[1] + "-hosts", None, None, raw=text)
    else:
        with open(sys.argv[3]) as f:
            text = f.read()
    data = json.loads(text)
    if isinstance(data, str):  # the template's text, not yet parsed by Ansible
        data = json.loads(data)
    hosts = data["hosts"]
    hosts.sort(key=lambda h: h["host_id"])
    kind, out_dir = sys.argv[1], sys.argv[2]
    problems = {"verify": report_verify, "catalog": report_catalog, "merge": report_merge}[kind](
        hosts, out_dir)
    for p in problems:
        print(p)
    if not problems:
        print("%s: every host ok (%s)" % (kind, os.path.join(out_dir, kind + ".txt")))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
