"""What a run produced, as one stream: findings spooled in sorted order (spool), file-wide problems
collapsed (collapse), and the result every reporter renders (result)."""
