"""Reading a date's extracts: the contract, the reader, the Great Expectations validation."""
