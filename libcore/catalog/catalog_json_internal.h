// Internal to the catalog JSON code (catalog_json.cc parses, catalog_json_fast.cc holds the chunk
// fast path of the parse, catalog_json_write.cc serialises): what those files share. Included by
// .cc files only; no libcore interface exposes JSON types (see state_json.h).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"

namespace shardtool {

// The document type of catalog.json: ordered, so that unknown members keep their order.
using CatalogJson = nlohmann::ordered_json;

// The chunks the fast path decoded, by position in the collections array: an element whose chunks
// it did not decode (no "chunks" member, or not an object) has nullopt or lies past the end.
using FastChunks = std::vector<std::optional<std::vector<Chunk>>>;

// Parses catalog.json text into *doc as CatalogJson::parse would, except that the elements of each
// collections[i].chunks array are decoded into (*chunks)[i] and the document holds an empty array
// there (ChunkFastPath in catalog_json_fast.cc). False when the text is not JSON or the fast path
// gave up on a chunks array; *doc and *chunks are then unspecified and the caller parses the text
// the slow way, which gives the same result.
bool ParseCatalogJsonFast(std::string_view text, CatalogJson* doc, FastChunks* chunks);

}  // namespace shardtool
