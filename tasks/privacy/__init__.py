"""Personal data: the secret key of match keys and tombstones, its rotation, erasure on request."""
