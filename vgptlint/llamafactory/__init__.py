"""LLaMA-Factory compatibility: dataset_info.json loading, converter-faithful checks, survival counts."""
from vgptlint.llamafactory.dataset_info import DatasetInfo, load_dataset_info, spec_for_file, spec_from_entry, specs_for_file
from vgptlint.llamafactory.spec import DatasetSpec, default_spec
from vgptlint.llamafactory.survival import Survival, classify, survival

__all__ = ["DatasetInfo", "DatasetSpec", "Survival", "classify", "default_spec", "load_dataset_info", "spec_for_file",
           "spec_from_entry", "specs_for_file", "survival"]
