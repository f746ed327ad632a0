// `shardtool catalog export|apply|check`: one catalog for the cluster (issue 17 §2,
// libcore/catalog/cluster_catalog.h). Registered by catalog_cmd.cc.
#pragma once

#include <string>

#include "cli/command.h"

namespace shardtool {

struct ClusterCatalogOptions {
  std::string out;   // export --out
  std::string file;  // apply / check FILE
  bool adopt = false;
  int64_t orphan_delay = 900;
};

int RunCatalogExport(Context& ctx, const GlobalOptions& g, const ClusterCatalogOptions& o);
int RunCatalogApply(Context& ctx, const GlobalOptions& g, const ClusterCatalogOptions& o);
int RunCatalogCheck(Context& ctx, const GlobalOptions& g, const ClusterCatalogOptions& o);

}  // namespace shardtool
