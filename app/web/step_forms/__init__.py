"""The page editor's per-type step forms: one module per step type, registered by name."""
