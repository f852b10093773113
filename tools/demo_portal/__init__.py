"""Generators of the demo portal and the test portals (site/ and manifest.json)."""
