"""STIX 2.1: how Baobab's shared objects are written and read as STIX."""
