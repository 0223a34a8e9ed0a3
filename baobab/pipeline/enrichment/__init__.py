"""Enrichment of events from local data: AS number and name (a routing table
and an AS names list), country of registration (the directory's RIR
delegated statistics) and Tor exit nodes; optional, cached RDAP look-ups.

The runner loads the data with :func:`load_enrichment` (once per process,
again when a file changes), passes each batch through :func:`enrich` (pure),
and, only when :func:`rdap_client` gives a client, through :func:`enrich_rdap`.
``baobab data refresh`` and ``baobab data status`` look after the files.
"""

from baobab.pipeline.enrichment.enrich import Enrichment, enrich
from baobab.pipeline.enrichment.loading import load_enrichment, rdap_client, reset_enrichment
from baobab.pipeline.enrichment.rdap import RdapClient, enrich_rdap

__all__ = [
    "Enrichment",
    "RdapClient",
    "enrich",
    "enrich_rdap",
    "load_enrichment",
    "rdap_client",
    "reset_enrichment",
]
