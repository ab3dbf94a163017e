"""The roster (名册) of branches from the bureau's workbook: read it (importfile) and load it into the store (load)."""
