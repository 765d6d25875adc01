"""Per-workspace knowledge: upload, index, retrieve and cite (``store.KnowledgeStore``)."""
