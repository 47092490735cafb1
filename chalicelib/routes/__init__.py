"""HTTP routes, one Blueprint per actor (STYLE rule 2)."""
