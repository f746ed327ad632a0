#!/usr/bin/env python3
"""Plans and judges the shipping of bundles between hosts, for ship.yml (runs on the controller).

    ship_plan.py plan -              stdin: base64 of {"hosts": [HOST...]} with each host's outbox
    ship_plan.py report REPORT_DIR - stdin: base64 of {"plan": PLAN, "hosts": [HOST...]} with what
                                     each host sent and ingested

HOST: {"name", "host_id", "shard", "ip", "workdir", "reached", "outbox": <outbox.py list's document>,
       "sent": <outbox.py send's "sent">, "ingest": {"rc", "stdout", "stderr"}}

plan prints PLAN: every committed bundle of every reachable host's outbox goes to every host of
its target shard, except, for an import bundle, the hosts whose working dir the importing host
sees (the import wrote their records directly):
    {"bundles": [{"donor", "name", "kind", "target_shard", "bytes", "targets": [names]}],
     "sends": {donor: [{"bundle", "target", "ip", "workdir", "donor"}]},
     "receives": {target: [{"donor", "bundle"}]}}      (in the order the bundles were made)
report writes REPORT_DIR/ship.json and ship.txt and prints {"done": {donor: [bundle names]},
"problems": [lines]}: a bundle is done when every target ingested it (exit 0, including "already
ingested"); only done bundles leave the donor's outbox.
"""
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shardtool_report import load_doc  # noqa: E402  (the same directory)


def read_stdin():
    data = json.loads(base64.b64decode(sys.stdin.read()).decode("utf-8"))
    return json.loads(data) if isinstance(data, str) else data


def plan(hosts):
    bundles, sends, receives = [], {}, {}
    by_shard = {}
    for h in hosts:
        by_shard.setdefault(h["shard"], []).append(h)
    order = []
    for h in hosts:
        if not h.get("reached"):
            continue
        for b in (h.get("outbox") or {}).get("bundles") or []:
            local = set(b.get("local_hosts") or []) if b.get("kind") == "import" else set()
            targets = [t for t in by_shard.get(b["target_shard"], [])
                       if t["host_id"] not in local and t["name"] != h["name"]]
            entry = {"donor": h["name"], "name": b["name"], "kind": b.get("kind"),
                     "target_shard": b["target_shard"], "bytes": b.get("bytes"),
                     "targets": [t["name"] for t in targets]}
            bundles.append(entry)
            order.append((b.get("mtime_ns") or 0, h["host_id"], b["name"], entry))
            for t in targets:
                sends.setdefault(h["name"], []).append(
                    {"bundle": b["name"], "target": t["name"], "ip": t["ip"], "workdir": t["workdir"],
                     "donor": h["name"]})
    order.sort(key=lambda x: x[:3])
    for _, _, name, entry in order:
        for t in entry["targets"]:
            receives.setdefault(t, []).append({"donor": entry["donor"], "bundle": name})
    return {"bundles": bundles, "sends": sends, "receives": receives}


def last_line(text):
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else "no output"


def report(data, out_dir):
    p, hosts = data["plan"], {h["name"]: h for h in data["hosts"]}
    problems, rows, done = [], [], {}
    for h in data["hosts"]:
        if not h.get("reached"):
            problems.append("%s (id %s): unreachable: its outbox waits for the next run"
                            % (h["name"], h["host_id"]))
        for s in (h.get("outbox") or {}).get("skipped") or []:
            problems.append("%s: outbox %s: %s" % (h["name"], s["name"], s["reason"]))
    ingested = {}
    for name, h in hosts.items():
        ing = h.get("ingest") or {}
        doc = load_doc(ing.get("stdout"))
        per = {}
        for b in (doc or {}).get("bundles") or []:
            per[os.path.basename(str(b.get("bundle", "")).rstrip("/"))] = b
        ingested[name] = (ing.get("rc"), per, ing)
    for b in p["bundles"]:
        sent = {s["target"]: s for s in hosts.get(b["donor"], {}).get("sent") or []
                if s["bundle"] == b["name"]}
        states = {}
        for t in b["targets"]:
            s = sent.get(t)
            rc, per, ing = ingested.get(t, (None, {}, {}))
            if s is None:
                states[t] = "not sent"
            elif s.get("rc") != 0:
                states[t] = "rsync exit %s: %s" % (s.get("rc"), last_line(s.get("stderr")))
            elif rc == 0:
                states[t] = "already ingested" if (per.get(b["name"]) or {}).get("already_ingested") \
                    else "ingested"
            elif rc is None:
                states[t] = "not ingested (host lost)"
            else:
                states[t] = "ingest exit %s: %s" % (rc, last_line(ing.get("stderr")))
        ok = bool(states) and all(v in ("ingested", "already ingested") for v in states.values())
        if not states:
            problems.append("%s: bundle %s: no host of shard %s to ship it to"
                            % (b["donor"], b["name"], b["target_shard"]))
        if ok:
            done.setdefault(b["donor"], []).append(b["name"])
        else:
            for t, v in states.items():
                if v not in ("ingested", "already ingested"):
                    problems.append("%s: bundle %s (shard %s) to %s: %s"
                                    % (b["donor"], b["name"], b["target_shard"], t, v))
        rows.append(dict(b, done=ok, states=states))
    doc = {"schema_version": 1, "ok": not problems, "bundles": rows,
           "shipped": sum(1 for r in rows if r["done"]),
           "pending": sum(1 for r in rows if not r["done"]),
           "bytes": sum(r.get("bytes") or 0 for r in rows if r["done"])}
    lines = ["shardtool ship: %d bundles shipped and ingested, %d pending"
             % (doc["shipped"], doc["pending"]), ""]
    for r in rows:
        lines.append("%s %s -> shard %s: %s" % (r["donor"], r["name"], r["target_shard"],
                                                ", ".join("%s %s" % kv for kv in r["states"].items())
                                                or "no target"))
    if problems:
        lines += ["", "problems:"] + ["  " + x for x in problems]
    os.makedirs(out_dir, exist_ok=True)
    for name, text in (("ship.json", json.dumps(doc, indent=2) + "\n"),
                       ("ship.txt", "\n".join(lines) + "\n")):
        tmp = os.path.join(out_dir, ".%s.tmp.%d" % (name, os.getpid()))
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, os.path.join(out_dir, name))
    return {"done": done, "problems": problems}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "plan":
        json.dump(plan(read_stdin()["hosts"]), sys.stdout)
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        json.dump(report(read_stdin(), sys.argv[2]), sys.stdout)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
