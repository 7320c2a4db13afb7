"""The ``lf-run-*`` rules (what --train-config reports), apart from the run they describe: selecting rules
(vgptlint.run.setup) needs their names on every check, the run plan only with --train-config."""
from __future__ import annotations

from vgptlint.model import Severity

PACK = "llamafactory"
RULES = {
    "lf-run-config": (Severity.ERROR, "LLaMA-Factory refuses the training config's combination of arguments."),
    "lf-run-dataset": (Severity.ERROR, "A dataset the training config names is not registered or not found: the run stops."),
    "lf-run-stage": (Severity.ERROR, "A dataset does not fit the training stage: the run stops, or its records are dropped."),
    "lf-run-dropped": (Severity.WARNING, "Records the stage's processor drops as invalid."),
    "lf-run-no-valid-samples": (Severity.ERROR, "No record survives preprocessing: \"Cannot find valid samples\"."),
    "lf-run-max-samples": (Severity.WARNING, "max_samples keeps the first N records: what comes after is never trained."),
    "lf-run-truncated": (Severity.WARNING, "cutoff_len cuts the record (in the model's tokens, with its template)."),
    "lf-run-validation-split": (Severity.INFO, "val_size takes records away from training for evaluation."),
    "lf-run-tokens": (Severity.INFO, "How tokens were counted (the model's tokenizer, or an estimate)."),
}
