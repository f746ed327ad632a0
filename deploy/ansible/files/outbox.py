#!/usr/bin/env python3
"""A host's side of ship.yml: lists the committed bundles of its outbox, and sends them.

    outbox.py list OUTBOX INBOX [ID=WORKDIR ...]
    outbox.py send OUTBOX SSH SENDS_JSON

list makes INBOX if missing and prints one JSON document: {"outbox": OUTBOX, "bundles": [{"name",
"kind", "database", "rdb", "target_shard", "epoch", "catalog_version", "bytes", "mtime_ns",
"local_hosts"}], "skipped": [...]}. A bundle is a directory holding manifest.json (doc/format.md
10.2). Directories named *.tmp (bundles still being written), hidden ones (the import's own) and
directories without a manifest are never listed; unreadable manifests are listed under "skipped"
with the reason, and so are the bundles a merge journal of the host still names
(OUTBOX/../journal/merge.*.json, the outbox being <workdir>/shardtool/outbox): a merge or `repair
misplaced` killed after committing its bundles finishes them on its rerun, and a bundle shipped
and deleted before that would leave it unable to finish; such a bundle ships once the rerun is done. "local_hosts" are the ids among ID=WORKDIR whose working dir exists on this host:
an import wrote their records directly, so its bundles are not shipped to them.

send runs, for each {"bundle", "target", "ip", "workdir", "donor"} of SENDS_JSON, rsync -a --partial
-e SSH OUTBOX/<bundle> <ip>:<workdir>/shardtool/inbox/<donor>/ and prints {"sent": [{"bundle",
"target", "rc", "stderr"}]} (exit 0 whatever rsync's exits: the controller judges them).
"""
import json
import os
import subprocess
import sys


def bundle(outbox, name, workdirs):
    path = os.path.join(outbox, name)
    manifest = os.path.join(path, "manifest.json")
    with open(manifest) as f:
        m = json.load(f)
    if m.get("format") != "shardtool-bundle" or not isinstance(m.get("target_shard"), int):
        raise ValueError("not a shardtool bundle manifest")
    size = 0
    for s in m.get("streams") or []:
        st = os.stat(os.path.join(path, s["file"]))
        size += st.st_size
    cat = m.get("catalog") or {}
    return {"name": name, "kind": m.get("kind"), "database": m.get("database"), "rdb": m.get("rdb"),
            "target_shard": m["target_shard"], "epoch": cat.get("epoch"),
            "catalog_version": cat.get("catalogVersion"), "bytes": size,
            "mtime_ns": os.stat(manifest).st_mtime_ns,
            "local_hosts": sorted(i for i, wd in workdirs.items() if os.path.isdir(wd))}


def unfinished(outbox):
    """Bundle dir names that an unfinished merge journal of this host names, with the journal."""
    out = {}
    jdir = os.path.join(os.path.dirname(os.path.abspath(outbox)), "journal")
    names = sorted(os.listdir(jdir)) if os.path.isdir(jdir) else []
    for name in names:
        if not (name.startswith("merge.") and name.endswith(".json")):
            continue
        try:
            with open(os.path.join(jdir, name)) as f:
                j = json.load(f)
            for b in j.get("bundles") or []:
                out[b["dir"]] = name
        except (OSError, ValueError, KeyError, TypeError):
            out["*"] = name  # unreadable: hold every bundle back rather than guess
    return out


def send(outbox, ssh, sends):
    out = []
    for s in sends:
        dest = "%s:%s/shardtool/inbox/%s/" % (s["ip"], s["workdir"], s["donor"])
        p = subprocess.run(["rsync", "-a", "--partial", "-e", ssh, os.path.join(outbox, s["bundle"]), dest],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        out.append({"bundle": s["bundle"], "target": s["target"], "rc": p.returncode,
                    "stderr": p.stderr[-2000:]})
    return {"sent": out}


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "send":
        json.dump(send(sys.argv[2], sys.argv[3], json.loads(sys.argv[4])), sys.stdout)
        print()
        return 0
    if len(sys.argv) < 4 or sys.argv[1] != "list":
        print(__doc__, file=sys.stderr)
        return 2
    outbox = sys.argv[2]
    os.makedirs(sys.argv[3], exist_ok=True)
    workdirs = {}
    for a in sys.argv[4:]:
        i, _, wd = a.partition("=")
        workdirs[int(i)] = wd
    out = {"outbox": outbox, "bundles": [], "skipped": []}
    names = sorted(os.listdir(outbox)) if os.path.isdir(outbox) else []
    held = unfinished(outbox) if names else {}
    for name in names:
        path = os.path.join(outbox, name)
        if name.startswith(".") or name.endswith(".tmp") or not os.path.isdir(path):
            continue
        if not os.path.exists(os.path.join(path, "manifest.json")):
            continue  # not committed yet
        journal = held.get(name) or held.get("*")
        if journal:
            out["skipped"].append({"name": name, "reason": "its merge is not finished (journal/%s): "
                                   "rerun the merge or repair first" % journal})
            continue
        try:
            out["bundles"].append(bundle(outbox, name, workdirs))
        except (OSError, ValueError, KeyError, TypeError) as e:
            out["skipped"].append({"name": name, "reason": str(e)})
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
