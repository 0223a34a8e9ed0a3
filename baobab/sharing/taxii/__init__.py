"""Baobab's TAXII 2.1 server under ``/taxii2/``: one API root whose
collections are the sharing scopes (the community, the public, each team,
each sharing group), read through the one visibility rule and written
through the STIX importer."""
