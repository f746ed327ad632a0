#include "jobs/verify/verify_job.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>

#include "format/file_name.h"

namespace shardtool {

void MarkGigablastMerge(const std::vector<std::string>& inputs, FileVerifyReport* r) {
  for (const char* rule : {"D6", "L2"}) {
    auto it = r->rule_counts.find(rule);
    if (it == r->rule_counts.end()) continue;
    r->errors -= it->second;
    r->rule_counts.erase(it);
    std::erase_if(r->findings, [&](const Finding& f) { return f.rule == rule; });
  }
  std::string names;
  for (const std::string& i : inputs) names += (names.empty() ? "" : ", ") + i;
  AddFinding(&r->findings, "D10", Severity::kNotice, r->file, -1, -1, "",
             "a merge Gigablast is running into this file (" + std::to_string(r->bytes) +
                 " bytes so far, inputs " + names +
                 "): a missing map and a torn end are expected; its records are counted in its "
                 "inputs");
  r->rule_counts["D10"]++;
  r->notices++;
  r->gigablast_merge = true;
}

namespace {

struct Task {
  const VerifyCollection* coll;
  const std::string* name;
  size_t slot;  // index in the report
  uint64_t size;
};

// What the file checks of one run share: the report, the progress and the first failure.
struct RunState {
  FileSystem* fs;
  const VerifyOptions& opt;
  VerifyReport& report;
  uint64_t total = 0;
  std::atomic<uint64_t> done{0};
  std::mutex mu;
  Status first_error;

  RunState(FileSystem* f, const VerifyOptions& o, VerifyReport& r) : fs(f), opt(o), report(r) {}
  // Records a failure (the first one wins).
  void Fail(const Status& s) {
    std::lock_guard<std::mutex> lock(mu);
    if (first_error.ok()) first_error = s;
  }
  Status First() {
    std::lock_guard<std::mutex> lock(mu);
    return first_error;
  }
  // The Status that ends the run before the next file: the first failure, or an interruption.
  Status Ended() {
    std::lock_guard<std::mutex> lock(mu);
    if (first_error.ok() && opt.stop && opt.stop->load()) {
      first_error = InterruptedStatus("verify interrupted");
    }
    return first_error;
  }
};

// Verifies t's file into its slot of the report. Returns whether its records decoded to the end.
Result<bool> VerifyTask(RunState& rs, const Task& t, RecordSink* sink, size_t scan_buffer) {
  const VerifyOptions& opt = rs.opt;
  FileVerifyOptions fo;
  fo.quick = opt.quick;
  fo.inflate = opt.inflate;
  fo.report_limit = opt.report_limit;
  fo.owners = t.coll->owners ? &*t.coll->owners : nullptr;
  fo.no_negatives = std::find(t.coll->negative_free.begin(), t.coll->negative_free.end(),
                              *t.name) != t.coll->negative_free.end();
  fo.yield_every = opt.yield_every;
  fo.sink = sink;
  if (scan_buffer > 0) fo.scan_buffer = scan_buffer;
  uint64_t last = 0;
  fo.yield = [&](uint64_t offset) -> Status {
    if (opt.stop && opt.stop->load()) return InterruptedStatus("verify interrupted");
    if (opt.progress) {
      const uint64_t d = rs.done.fetch_add(offset - last) + (offset - last);
      opt.progress(d, rs.total);
    }
    last = offset;
    if (opt.yield) return opt.yield();
    return Status::Ok();
  };
  OpenDataFileOptions oo;
  oo.default_part_size = t.coll->part_size;
  oo.rdb = t.coll->rdb;
  ASSIGN_OR_RETURN(FileVerifyReport r, VerifyFile(rs.fs, t.coll->dir, *t.name, nullptr, oo, fo));
  std::lock_guard<std::mutex> lock(rs.mu);
  rs.done += r.bytes - std::min<uint64_t>(r.bytes, last);
  if (opt.progress) opt.progress(rs.done.load(), rs.total);
  for (const VerifyCollection::GigablastMerge& m : t.coll->gigablast_merges) {
    if (m.target == *t.name) MarkGigablastMerge(m.inputs, &r);
  }
  const bool complete = r.decoded_completely;
  rs.report.files[t.slot] = std::move(r);
  return complete;
}

// The files in `order` on opt.threads threads, each taking the next file when done.
void VerifyFiles(RunState& rs, const std::vector<Task>& order) {
  size_t next = 0;
  auto worker = [&]() {
    while (true) {
      Task t;
      {
        std::lock_guard<std::mutex> lock(rs.mu);
        if (next >= order.size()) return;
        t = order[next++];
      }
      if (!rs.Ended().ok()) return;
      auto r = VerifyTask(rs, t, nullptr, 0);
      if (!r.ok()) {
        rs.Fail(r.status());
        return;
      }
    }
  };
  const int n = std::max(1, std::min<int>(rs.opt.threads, static_cast<int>(order.size())));
  std::vector<std::thread> threads;
  for (int i = 1; i < n; i++) threads.emplace_back(worker);
  worker();
  for (auto& th : threads) th.join();
}

// The files of collection c (its tasks, in file order) all at once, each feeding the collection's
// digest (collection_digest.h) as it is verified, and the digest merged on this thread.
void VerifyCollectionWithDigest(RunState& rs, const VerifyCollection& c,
                                const std::vector<Task>& tasks) {
  const DigestMemory mem = DigestMemoryFor(tasks.size(), c.rdb->key_size);
  std::counting_semaphore<> slots(std::max(1, rs.opt.threads));
  std::vector<std::unique_ptr<DigestFeed>> feeds;
  std::vector<DigestFeed*> inputs;
  std::vector<std::string> files;
  for (const Task& t : tasks) {
    feeds.push_back(std::make_unique<DigestFeed>(c.rdb->key_size, mem.batch_records, &slots));
    inputs.push_back(feeds.back().get());
    files.push_back(JoinPath(c.dir, *t.name));
  }
  auto cancel = [&](const Status& why) {
    for (DigestFeed* f : inputs) f->Cancel(why);
  };
  auto produce = [&](size_t i) {
    slots.acquire();
    Status failed = rs.Ended(), end;
    if (failed.ok()) {
      auto r = VerifyTask(rs, tasks[i], inputs[i], mem.scan_buffer);
      if (!r.ok()) {
        rs.Fail(r.status());
        failed = rs.First();
      } else if (!*r) {
        end = CorruptionStatus(files[i] +
                               ": not decoded to its end (see its findings): the rest of its "
                               "records are not in the digest");
      }
    }
    inputs[i]->Finish(failed.ok() ? end : failed);
    slots.release();
    if (!failed.ok()) cancel(failed);  // the job failed: the other files stop too
  };
  std::vector<std::thread> producers;
  for (size_t i = 0; i < tasks.size(); i++) producers.emplace_back(produce, i);
  auto merged = MergeDigestFeeds(*c.rdb, c.ns, files, inputs, rs.opt.stop);
  if (!merged.ok()) {
    rs.Fail(merged.status());
    cancel(rs.First());
  } else {
    // Drained, or incomplete: the verifiers finish their files without feeding it.
    for (DigestFeed* f : inputs) f->Discard();
  }
  for (auto& th : producers) th.join();
  if (merged.ok()) rs.report.digests.push_back(std::move(merged).value());
}

}  // namespace

Result<VerifyReport> RunVerify(FileSystem* fs, const std::vector<VerifyCollection>& collections,
                               const VerifyOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Task> tasks;
  std::vector<std::vector<Task>> by_collection;
  VerifyReport report;
  RunState rs(fs, opt, report);
  for (const VerifyCollection& c : collections) {
    by_collection.emplace_back();
    for (const std::string& f : c.data_files) {
      uint64_t size = 0;
      // Largest first keeps the threads busy to the end; sizes are only a scheduling hint.
      if (auto st = fs->Stat(JoinPath(c.dir, f)); st.ok()) size = st->size;
      tasks.push_back({&c, &f, tasks.size(), size});
      by_collection.back().push_back(tasks.back());
      rs.total += size;
    }
  }
  report.files.resize(tasks.size());
  if (opt.digest) {
    for (size_t i = 0; i < collections.size() && rs.Ended().ok(); i++) {
      VerifyCollectionWithDigest(rs, collections[i], by_collection[i]);
    }
  } else {
    std::vector<Task> order = tasks;
    std::stable_sort(order.begin(), order.end(),
                     [](const Task& a, const Task& b) { return a.size > b.size; });
    VerifyFiles(rs, order);
  }
  RETURN_IF_ERROR(rs.First());
  if (opt.trees) {
    ASSIGN_OR_RETURN(report.trees, VerifySavedTrees(fs, collections, opt.report_limit));
  }

  for (const VerifyCollection& c : collections) {
    ASSIGN_OR_RETURN(auto entries, fs->ListDir(c.dir));
    for (const DirEntry& e : entries) {
      auto name = ParseDataFileName(e.name);
      if (!e.is_dir || !name || name->db != c.rdb->name) continue;
      // Gigablast lists it as a data file and fails to open it; the snapshot leaves it out.
      FileVerifyReport d;
      d.file = JoinPath(c.dir, e.name);
      d.rdb = std::string(c.rdb->name);
      d.id = name->id;
      AddFinding(&d.findings, "D1", Severity::kError, d.file, -1, -1, "",
                 "a directory is named like a data file; Gigablast cannot load it");
      d.rule_counts["D1"] = 1;
      d.errors = 1;
      report.files.push_back(std::move(d));
    }
  }
  VerifySummary& s = report.summary;
  for (const FileVerifyReport& f : report.files) {
    s.files++;
    s.errors += f.errors;
    s.notices += f.notices;
    if (f.gigablast_merge) continue;  // its records are still in its inputs
    s.records += f.positive + f.negative;
    s.not_owned += f.not_owned;
    s.bytes += f.bytes;
  }
  for (const TreeVerifyReport& t : report.trees) {
    s.trees++;
    s.tree_records += t.positive + t.negative;
    s.not_owned += t.not_owned;
    s.errors += t.errors;
    s.notices += t.notices;
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace shardtool
