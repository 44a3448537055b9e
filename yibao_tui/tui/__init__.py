"""The terminal UI: ``flows/`` (the use cases, no Textual) and the surfaces that lay them out."""
