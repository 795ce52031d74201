"""The scoring model, fit and engagement scores, the lifecycle, nurture enrollments."""
