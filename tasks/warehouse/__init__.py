"""The warehouse: connection and bulk I/O, lead state across dates, the run lock, re-run chains, schema migrations, conservation."""
