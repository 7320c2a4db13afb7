"""After the run: suppressions (suppress), the baseline (baseline), and applying both to a result (review)."""
