// `shardtool inspect file|map|records`: look inside one data file (doc/architecture.md §4, §9).
#include "commands/inspect_cmd.h"

#include <ostream>

#include "cli/command.h"
#include "format/key_fields.h"
#include "jobs/inspect/inspect_job.h"
#include "render/json_render.h"
#include "render/text_render.h"

namespace shardtool {
namespace {

struct InspectOptions {
  std::string path;
  std::string rdb;
  uint64_t part_size = 0;
  bool pages = false;
  std::string start, end;
  uint64_t limit = 0;
  std::string view;
};

Result<InspectFileOptions> FileOptions(const InspectOptions& o) {
  InspectFileOptions f;
  if (!o.rdb.empty()) {
    f.rdb = FindRdb(o.rdb);
    if (f.rdb == nullptr) return UsageErrorStatus("unknown Rdb '" + o.rdb + "'");
  }
  if (o.part_size != 0) f.default_part_size = o.part_size;
  return f;
}

void AddFileArgs(CLI::App* sub, InspectOptions* o, bool required = true) {
  CLI::Option* path = sub->add_option("path", o->path, "data file (any part), or its map");
  if (required) path->required();
  sub->add_option("--rdb", o->rdb,
                  "the file's Rdb when its name does not say (titledb, posdb, ...)");
  sub->add_option("--part-size", o->part_size,
                  "part size in bytes when fewer than two parts are present (default 2013265920)");
}

int RunFile(Context& ctx, const GlobalOptions& g, const InspectOptions& o) {
  auto fo = FileOptions(o);
  if (!fo.ok()) return ReportError(ctx, g, fo.status());
  auto r = InspectFile(ctx.fs, ResolvePath(g, o.path), *fo);
  if (!r.ok()) return ReportError(ctx, g, r.status());
  const FileReport& f = *r;
  if (g.json) {
    Json j;
    j["schema_version"] = 1;
    j["command"] = "inspect file";
    j["file"] = DisplayPath(g, f.path);
    j["rdb"] = f.rdb->name;
    j["key_size"] = f.rdb->key_size;
    j["page_size"] = f.rdb->page_size;
    j["id"] = f.name.id;
    j["merge_files"] = f.name.is_merge() ? Json(f.name.merge_files) : Json(nullptr);
    j["part_size"] = f.part_size;
    j["logical_size"] = f.logical_size;
    j["headless"] = f.headless;
    j["first_part"] = f.first_part;
    Json parts = Json::array();
    for (const PartInfo& p : f.parts)
      parts.push_back({{"part", p.index}, {"name", p.name}, {"size", p.size}});
    j["parts"] = parts;
    Json islands = Json::array();
    for (const PartInfo& p : f.islands)
      islands.push_back({{"part", p.index}, {"name", p.name}, {"size", p.size}});
    j["islands"] = islands;
    if (f.map_ok) {
      j["map"] = {{"file", f.map_name},
                  {"pages", f.map_pages},
                  {"end_offset", f.end_offset},
                  {"chopped_head", f.chopped_head},
                  {"positive", f.positive},
                  {"negative", f.negative},
                  {"first_key", f.first_key.empty() ? Json(nullptr) : Json(f.first_key)},
                  {"last_key", f.last_key}};
    } else {
      j["map"] = nullptr;
      j["map_error"] = f.map_error;
    }
    j["sidecar"] = {{"file", f.crc_name}, {"present", f.crc_present}};
    j["findings"] = FindingsJson(f.findings);
    *ctx.out << j.dump(2) << "\n";
    return 0;
  }
  std::ostream& out = *ctx.out;
  out << "file       " << DisplayPath(g, f.path) << "\n";
  out << "rdb        " << f.rdb->name << " (key " << f.rdb->key_size << " bytes, page "
      << HumanBytes(f.rdb->page_size) << ")\n";
  out << "id         " << f.name.id
      << (f.name.is_merge()
              ? " (merge in progress of " + std::to_string(f.name.merge_files) + " files)"
              : "")
      << "\n";
  out << "size       " << f.logical_size << " bytes (" << HumanBytes(f.logical_size) << ")"
      << (f.headless ? ", headless from part " + std::to_string(f.first_part) : "") << "\n";
  out << "parts      " << f.parts.size() << " (part size " << HumanBytes(f.part_size) << ")\n";
  for (const PartInfo& p : f.parts) out << "  " << p.name << "  " << p.size << "\n";
  for (const PartInfo& p : f.islands)
    out << "  " << p.name << "  " << p.size << "  (island, ignored)\n";
  if (f.map_ok) {
    out << "map        " << f.map_name << ": " << f.map_pages << " pages, end offset "
        << f.end_offset << ", chopped head " << f.chopped_head << "\n";
    out << "records    " << f.positive << " positive, " << f.negative << " negative\n";
    if (!f.first_key.empty()) out << "keys       " << f.first_key << " .. " << f.last_key << "\n";
  } else {
    out << "map        unusable: " << f.map_error << "\n";
  }
  out << "sidecar    " << f.crc_name << (f.crc_present ? " (present)" : " (none)") << "\n";
  for (const Finding& fd : f.findings)
    out << SeverityName(fd.severity) << ": " << fd.ToString() << "\n";
  return 0;
}

int RunMap(Context& ctx, const GlobalOptions& g, const InspectOptions& o) {
  auto fo = FileOptions(o);
  if (!fo.ok()) return ReportError(ctx, g, fo.status());
  auto r = InspectMap(ctx.fs, ResolvePath(g, o.path), *fo);
  if (!r.ok()) return ReportError(ctx, g, r.status());
  const PageMap& m = *r->map;
  const int ks = r->rdb->key_size;
  if (g.json) {
    Json j;
    j["schema_version"] = 1;
    j["command"] = "inspect map";
    j["file"] = DisplayPath(g, r->path);
    j["rdb"] = r->rdb->name;
    j["end_offset"] = m.end_offset();
    j["chopped_head"] = m.chopped_head();
    j["positive"] = m.num_positive();
    j["negative"] = m.num_negative();
    j["last_key"] = KeyHex(m.last_key(), ks);
    j["page_size"] = m.page_size();
    j["num_pages"] = m.num_pages();
    if (o.pages) {
      Json pages = Json::array();
      for (int64_t p = 0; p < m.num_pages(); p++) {
        pages.push_back(
            {{"page", p}, {"key", KeyHex(m.page_key(p), ks)}, {"offset", m.page_offset(p)}});
      }
      j["pages"] = pages;
    }
    *ctx.out << j.dump(2) << "\n";
    return 0;
  }
  std::ostream& out = *ctx.out;
  out << "map          " << DisplayPath(g, r->path) << " (" << r->rdb->name << ")\n";
  out << "end offset   " << m.end_offset() << "\n";
  out << "chopped head " << m.chopped_head() << "\n";
  out << "records      " << m.num_positive() << " positive, " << m.num_negative() << " negative\n";
  out << "last key     " << KeyHex(m.last_key(), ks) << "\n";
  out << "pages        " << m.num_pages() << " of " << HumanBytes(m.page_size()) << "\n";
  if (o.pages) {
    TextTable t({"page", "offset", "key"});
    for (int64_t p = 0; p < m.num_pages(); p++) {
      t.AddRow({std::to_string(p), std::to_string(m.page_offset(p)), KeyHex(m.page_key(p), ks)});
    }
    t.Print(out);
  }
  return 0;
}

int RunRecords(Context& ctx, const GlobalOptions& g, const InspectOptions& o) {
  if (!o.view.empty()) {
    if (!o.path.empty() || !o.rdb.empty() || o.part_size != 0) {
      return ReportError(ctx, g,
                         UsageErrorStatus("--view reads the view's collection: give no "
                                          "path, --rdb or --part-size with it"));
    }
    return RunInspectView(ctx, g, o.view, o.start, o.end, o.limit);
  }
  if (o.path.empty()) {
    return ReportError(ctx, g, UsageErrorStatus("inspect records: give a data file or --view"));
  }
  auto fo = FileOptions(o);
  if (!fo.ok()) return ReportError(ctx, g, fo.status());
  RecordsOptions ro;
  ro.file = *fo;
  ro.limit = o.limit;
  ro.start_hex = o.start;
  ro.end_hex = o.end;
  Json records = Json::array();
  TextTable table({"offset", "key", "neg", "size", "fields"});
  auto fn = [&](const RdbInfo& r, const RecordEntry& e) {
    if (g.json) {
      records.push_back({{"offset", e.offset},
                         {"key", KeyHex(e.key, r.key_size)},
                         {"negative", e.negative},
                         {"data_size", e.data_size},
                         {"fields", KeyFieldsJson(r, e.key)}});
      return;
    }
    std::string fields;
    for (const auto& [name, value] : DecodeKeyFields(r, e.key)) {
      fields += (fields.empty() ? "" : " ") + name + "=" + std::to_string(value);
    }
    table.AddRow({std::to_string(e.offset), KeyHex(e.key, r.key_size), e.negative ? "-" : "+",
                  std::to_string(e.data_size), fields});
  };
  auto res = InspectRecords(ctx.fs, ResolvePath(g, o.path), ro, fn);
  if (!res.ok()) return ReportError(ctx, g, res.status());
  if (g.json) {
    Json j;
    j["schema_version"] = 1;
    j["command"] = "inspect records";
    j["file"] = DisplayPath(g, ResolvePath(g, o.path));
    j["rdb"] = (*res)->name;
    j["records"] = records;
    *ctx.out << j.dump(2) << "\n";
  } else {
    table.Print(*ctx.out);
  }
  return 0;
}

}  // namespace

CommandSpec InspectCommand() {
  return {"inspect", "look inside data files, maps, records, databases, the catalog and keys",
          [](CLI::App* sub) -> CommandRun {
            auto o = std::make_shared<InspectOptions>();
            auto so = std::make_shared<InspectStateOptions>();
            auto which = std::make_shared<std::string>();
            auto to = std::make_shared<InspectTreeOptions>();
            sub->require_subcommand(1);
            CLI::App* file =
                sub->add_subcommand("file", "parts, sizes, map header and findings of a data file");
            AddFileArgs(file, o.get());
            CLI::App* map = sub->add_subcommand("map", "header and pages of a data file's map");
            AddFileArgs(map, o.get());
            map->add_flag("--pages", o->pages, "list every page (key and offset)");
            CLI::App* rec = sub->add_subcommand("records", "the records of a data file, decoded");
            AddFileArgs(rec, o.get(), false);
            rec->add_option("--view", o->view,
                            "records of this view (<db>.<name>): its collection's committed files "
                            "merged, newest version wins, keys in the view's range");
            rec->add_option("--start", o->start, "first key (hex, most significant byte first)");
            rec->add_option("--end", o->end, "last key, inclusive (hex)");
            rec->add_option("--limit", o->limit, "print at most N records (default: all)");
            std::vector<CLI::App*> subs = {file, map, rec};
            for (CLI::App* s : AddInspectStateCommands(sub, so.get())) subs.push_back(s);
            subs.push_back(AddInspectTreeCommand(sub, to.get()));
            for (CLI::App* s : subs) {
              s->final_callback([which, s]() { *which = s->get_name(); });
            }
            return [o, so, to, which](Context& ctx, const GlobalOptions& g) -> int {
              if (*which == "file") return RunFile(ctx, g, *o);
              if (*which == "map") return RunMap(ctx, g, *o);
              if (*which == "db") return RunInspectDb(ctx, g, *so);
              if (*which == "catalog") return RunInspectCatalog(ctx, g);
              if (*which == "key") return RunInspectKey(ctx, g, *so);
              if (*which == "tree") return RunInspectTree(ctx, g, *to);
              return RunRecords(ctx, g, *o);
            };
          }};
}

}  // namespace shardtool
