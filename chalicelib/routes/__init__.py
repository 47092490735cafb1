"""HTTP routes, one Blueprint per actor (docs/architecture.md rule 2)."""
