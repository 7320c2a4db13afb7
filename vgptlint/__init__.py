"""vgptlint: a rule-engine linter for LLM fine-tuning datasets, driven by YAML policies."""
from __future__ import annotations

__version__ = "0.1.0"
