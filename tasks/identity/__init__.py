"""Identity resolution: match fields and keys, blocking, comparisons, clustering, assignment, survivorship."""
