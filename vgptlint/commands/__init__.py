"""The command line: click commands (cli, cli_stats, cli_catalog) and what only they do (docs, init, stats)."""
