"""Trusted sharing: indicators, reports and sightings under TLP and sharing groups."""
