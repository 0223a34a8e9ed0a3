"""MISP exchange: MISP events read into the sharing app (through the STIX
importer, the one import path), shared objects written as MISP events, and
MISP feeds (``manifest.json``, one ``<uuid>.json`` per event, ``hashes.csv``)
published for others and read by the pipeline's MISP feed collector."""
