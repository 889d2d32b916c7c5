"""The stages, one module each, in run order."""
