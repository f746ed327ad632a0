// The acquire layer (SHARD-ROLE.md); see its headers.
