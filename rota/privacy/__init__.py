"""Privacy: erasure, a person's own data, and keeping only what is needed."""
