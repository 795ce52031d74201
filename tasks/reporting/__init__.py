"""Monitoring and run reports, explaining a lead, evaluating quality against ground truth."""
