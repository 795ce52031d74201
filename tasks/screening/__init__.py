"""Normalising lead rows, the fraud and junk rules, the review and release of rejected rows."""
