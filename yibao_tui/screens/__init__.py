"""One screen per job; each imported only when first shown."""
