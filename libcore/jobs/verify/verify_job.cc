#include "jobs/verify/verify_job.h"

#include <algorithm>
#include <chrono>
#include <mutex>
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

Result<VerifyReport> RunVerify(FileSystem* fs, const std::vector<VerifyCollection>& collections,
                               const VerifyOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  struct Task {
    const VerifyCollection* coll;
    const std::string* name;
    size_t slot;  // index in the report
    uint64_t size;
  };
  std::vector<Task> tasks;
  VerifyReport report;
  uint64_t total = 0;
  for (const VerifyCollection& c : collections) {
    for (const std::string& f : c.data_files) {
      uint64_t size = 0;
      // Largest first keeps the threads busy to the end; sizes are only a scheduling hint.
      if (auto st = fs->Stat(JoinPath(c.dir, f)); st.ok()) size = st->size;
      tasks.push_back({&c, &f, tasks.size(), size});
      total += size;
    }
  }
  report.files.resize(tasks.size());
  std::vector<Task> order = tasks;
  std::stable_sort(order.begin(), order.end(),
                   [](const Task& a, const Task& b) { return a.size > b.size; });

  std::mutex mu;
  size_t next = 0;
  Status first_error;
  std::atomic<uint64_t> done{0};
  auto worker = [&]() {
    while (true) {
      Task t;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (next >= order.size() || !first_error.ok()) return;
        if (opt.stop && opt.stop->load()) {
          first_error = InterruptedStatus("verify interrupted");
          return;
        }
        t = order[next++];
      }
      FileVerifyOptions fo;
      fo.quick = opt.quick;
      fo.inflate = opt.inflate;
      fo.report_limit = opt.report_limit;
      fo.owners = t.coll->owners ? &*t.coll->owners : nullptr;
      fo.no_negatives = std::find(t.coll->negative_free.begin(), t.coll->negative_free.end(),
                                  *t.name) != t.coll->negative_free.end();
      fo.yield_every = opt.yield_every;
      uint64_t last = 0;
      fo.yield = [&](uint64_t offset) -> Status {
        if (opt.stop && opt.stop->load()) return InterruptedStatus("verify interrupted");
        if (opt.progress) {
          const uint64_t d = done.fetch_add(offset - last) + (offset - last);
          opt.progress(d, total);
        }
        last = offset;
        if (opt.yield) return opt.yield();
        return Status::Ok();
      };
      OpenDataFileOptions oo;
      oo.default_part_size = t.coll->part_size;
      oo.rdb = t.coll->rdb;
      auto r = VerifyFile(fs, t.coll->dir, *t.name, nullptr, oo, fo);
      std::lock_guard<std::mutex> lock(mu);
      if (!r.ok()) {
        if (first_error.ok()) first_error = r.status();
        return;
      }
      done += r->bytes - std::min<uint64_t>(r->bytes, last);
      if (opt.progress) opt.progress(done.load(), total);
      for (const VerifyCollection::GigablastMerge& m : t.coll->gigablast_merges) {
        if (m.target == *t.name) MarkGigablastMerge(m.inputs, &*r);
      }
      report.files[t.slot] = std::move(r).value();
    }
  };
  const int n = std::max(1, std::min<int>(opt.threads, static_cast<int>(order.size())));
  std::vector<std::thread> threads;
  for (int i = 1; i < n; i++) threads.emplace_back(worker);
  worker();
  for (auto& th : threads) th.join();
  RETURN_IF_ERROR(first_error);
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
