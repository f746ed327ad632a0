// The catalog layer (SHARD-ROLE.md); see its headers.
