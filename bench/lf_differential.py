"""Differential check: LLaMA-Factory's own data path against ``vgptlint --train-config``, record by record.

Run it with a Python that has LLaMA-Factory's data dependencies (``datasets``, ``transformers``, no
torch) and vgptlint installed, pointing at LLaMA-Factory's source (a checkout's ``src`` folder):

    python bench/lf_differential.py --lf-src /path/to/LLaMA-Factory/src --owner /path/to/vgpt2-owner

``--owner`` is a folder with the data files and ``dataset_info.json`` and a ``configs/`` folder of
training YAMLs (the layout of shared/corpora/vgpt2-owner). They are copied together into ``--work``
the way ``dataset_dir: data`` expects (``data/`` beside ``configs/``); the run happens there.

LLaMA-Factory's torch-only imports (``extras/misc.py``, ``data/mm_plugin.py``, ``extras/constants.py``'s
peft names) are shimmed with stand-ins that nothing on the text-only data path calls; its packages
are entered without their ``__init__`` (which would import the trainers). A byte-level BPE tokenizer
is trained on the owner's own texts (with the qwen and llama3 chat markers as special tokens) and
handed to both sides, since no model tokenizer is available offline.

For every config: LLaMA-Factory's ``get_dataset`` end to end (does it stop, and with what), and for
every dataset it names, each record after ``_load_single_dataset`` (num_samples, max_samples, the
converter) through the stage's processor alone: kept or dropped, and its token counts with and
without ``cutoff_len``. vgptlint's ``plan_for`` must agree on all of it. Exit 1 on any disagreement.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import fnmatch
import importlib
import io
import json
import os
import shutil
import sys
import types
from pathlib import Path
from unittest import mock

VARIANTS = {  # extra configs over the files the owner's folder does hold (no owner config trains vgpt2_v4_sft)
    "variant__v4_sft_llama3.yaml": ("vgpt2_v4__stage1_sft.yaml", {"dataset": "vgpt2_v4_sft"}),
    "variant__v4_sft_qwen_1024.yaml": ("vgpt2_v4__stage1_sft.yaml", {"dataset": "vgpt2_v4_sft", "template": "qwen",
                                                                     "cutoff_len": 1024, "max_samples": 600}),
    "variant__v4_sft_packing_512.yaml": ("vgpt2_v4__stage1_sft.yaml", {"dataset": "vgpt2_v4_sft", "cutoff_len": 512,
                                                                       "packing": True}),
    "variant__dpo_v2_cutoff_96.yaml": ("vgpt2_v3__stage2_dpo_v2.yaml", {"cutoff_len": 96}),
    "variant__kto_as_sft.yaml": ("vgpt2_v3__stage3_kto.yaml", {"stage": "sft", "cutoff_len": 128}),
}
BASE = {"model_name_or_path": "Qwen/Qwen2.5-7B-Instruct", "trust_remote_code": True, "finetuning_type": "lora",
        "template": "qwen", "overwrite_cache": True, "val_size": 0.1, "do_train": True}
DEMO = {  # over LLaMA-Factory's own demo files (--demo): sharegpt conversations, several datasets, boolean KTO labels
    "demo__sft_identity_alpaca_128.yaml": {"stage": "sft", "dataset": "identity,alpaca_en_demo", "cutoff_len": 128,
                                           "max_samples": 400},
    "demo__sft_alpaca_packing_64.yaml": {"stage": "sft", "dataset": "alpaca_en_demo", "cutoff_len": 64, "packing": True},
    "demo__dpo_sharegpt_llama3_256.yaml": {"stage": "dpo", "dataset": "dpo_en_demo", "template": "llama3",
                                           "cutoff_len": 256},
    "demo__kto_sharegpt_256.yaml": {"stage": "kto", "dataset": "kto_en_demo", "cutoff_len": 256},
    "demo__kto_sharegpt_as_sft.yaml": {"stage": "sft", "dataset": "kto_en_demo", "cutoff_len": 256},
}
LOADER_STAGE = {"pt": "pt", "sft": "sft", "rm": "rm", "dpo": "rm", "kto": "kto", "ppo": "ppo"}
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|start_header_id|>",
            "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>"]


def import_llamafactory(src: Path):
    import datasets  # the real libraries first, so they see no torch
    import transformers

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()

    for name in ("torch", "torch.distributed", "torch.nn", "torch.nn.functional", "torchaudio", "peft", "peft.utils"):
        stand_in = mock.MagicMock(name=name)
        stand_in.__name__, stand_in.__path__, stand_in.__spec__ = name, [], None
        for cls in ("Tensor", "Generator", "Module", "dtype", "device"):  # datasets' pickler asks issubclass(x, torch.Tensor)
            setattr(stand_in, cls, type(cls, (), {}))
        sys.modules[name] = stand_in
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, stand_in)
    for package in ("", ".data", ".extras", ".hparams"):
        module = types.ModuleType("llamafactory" + package)
        module.__path__ = [str(src / "llamafactory" / package.strip(".").replace(".", "/"))]
        sys.modules["llamafactory" + package] = module
    return types.SimpleNamespace(
        loader=importlib.import_module("llamafactory.data.loader"),
        parser=importlib.import_module("llamafactory.data.parser"),
        data_utils=importlib.import_module("llamafactory.data.data_utils"),
        template=importlib.import_module("llamafactory.data.template"),
        data_args=importlib.import_module("llamafactory.hparams.data_args"),
    )


def lay_out(owner: Path, work: Path, demo: Path | None) -> list[Path]:
    import yaml

    shutil.rmtree(work, ignore_errors=True)
    (work / "data").mkdir(parents=True)
    for path in owner.glob("*.json"):
        shutil.copy(path, work / "data" / path.name)
    shutil.copytree(owner / "configs", work / "configs")
    for name, (base, changes) in VARIANTS.items():
        config = yaml.safe_load((owner / "configs" / base).read_text(encoding="utf-8"))
        (work / "configs" / name).write_text(yaml.safe_dump({**config, **changes}, sort_keys=False), encoding="utf-8")
    if demo is not None:  # the owner's dataset_info.json registers LLaMA-Factory's demo files under their names
        for name in ("identity.json", "alpaca_en_demo.json", "dpo_en_demo.json", "kto_en_demo.json"):
            shutil.copy(demo / name, work / "data" / name)
        for name, changes in DEMO.items():
            (work / "configs" / name).write_text(yaml.safe_dump({**BASE, **changes}, sort_keys=False), encoding="utf-8")
    for path in (work / "configs").iterdir():
        path.chmod(0o644)
    return sorted((work / "configs").glob("*.yaml"))


def train_tokenizer(owner: Path, target: Path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    texts = [str(value) for path in owner.glob("vgpt2_*.json") for row in json.loads(path.read_text(encoding="utf-8"))
             for value in row.values()]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=4000, special_tokens=SPECIALS,
                                                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<|begin_of_text|>", eos_token="<|endoftext|>")
    fast.save_pretrained(str(target))
    return target


class TrainingArgs(types.SimpleNamespace):
    def main_process_first(self, **kwargs):
        return contextlib.nullcontext()


def lf_side(lf, config_path: Path, tokenizer_dir: Path) -> dict:
    """What LLaMA-Factory does: stop message or counts, and each record's fate per dataset."""
    from omegaconf import OmegaConf
    from transformers import AutoTokenizer

    raw = OmegaConf.to_container(OmegaConf.load(config_path))  # hparams/parser.py L75-76
    fields = {f.name for f in dataclasses.fields(lf.data_args.DataArguments)}
    values = {key: value for key, value in raw.items() if key in fields}
    values["preprocessing_num_workers"] = None  # one process: same results, no fork storm on 2 cores
    stage = LOADER_STAGE[raw.get("stage", "sft")]
    try:
        data_args = lf.data_args.DataArguments(**values)
    except ValueError as exc:
        return {"stop": str(exc), "datasets": {}}
    if data_args.packing is None:  # hparams/parser.py L462
        data_args.packing = raw.get("stage", "sft") == "pt"
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    template = lf.template.get_template_and_fix_tokenizer(tokenizer, data_args)
    model_args = types.SimpleNamespace(cache_dir=None, hf_hub_token=None, ms_hub_token=None, om_hub_token=None)
    training_args = TrainingArgs(seed=raw.get("seed", 42), predict_with_generate=False, local_process_index=0,
                                 should_log=True, should_save=False, dataloader_num_workers=0)
    out = {"stop": "", "datasets": {}}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            module = lf.loader.get_dataset(template, model_args, data_args, training_args, stage, tokenizer)
        out["train"] = len(module.get("train_dataset") or [])
        out["eval"] = len(module.get("eval_dataset") or [])
    except Exception as exc:  # what stops the run is the point here
        out["stop"] = f"{type(exc).__name__}: {exc}"
    for name in data_args.dataset or []:
        out["datasets"][name] = _records(lf, name, stage, template, tokenizer, model_args, data_args, training_args)
    return out


def _records(lf, name, stage, template, tokenizer, model_args, data_args, training_args) -> list | None:
    try:
        attr = lf.parser.get_dataset_list([name], data_args.dataset_dir)[0]
        aligned = lf.loader._load_single_dataset(attr, model_args, data_args, training_args)
    except Exception:
        return None
    # Token counts come from the unpacked processor (the packed one pads every example to cutoff_len + 1).
    plain = copy.copy(data_args)
    plain.packing, plain.neat_packing = False, False
    unbounded_args = copy.copy(plain)
    unbounded_args.cutoff_len = 10 ** 9
    processor = lf.loader._get_dataset_processor(data_args, stage, template, tokenizer, None)
    cutting = lf.loader._get_dataset_processor(plain, stage, template, tokenizer, None)
    unbounded = lf.loader._get_dataset_processor(unbounded_args, stage, template, tokenizer, None)
    fates = []
    for example in aligned:
        batch = {key: [value] for key, value in example.items()}
        with contextlib.redirect_stdout(io.StringIO()):
            kept = processor.preprocess_dataset(batch)
        if not kept.get("input_ids") and not kept.get("chosen_input_ids"):
            fates.append(("dropped", None))
            continue
        fates.append(("kept", _lengths(cutting.preprocess_dataset(batch), stage)
                      + _lengths(unbounded.preprocess_dataset(batch), stage)))
    return fates


def _lengths(model_inputs: dict, stage: str) -> tuple[int, int]:
    """(prompt tokens, answer tokens) of the one example: labels are IGNORE_INDEX (-100) over the prompt."""
    if stage == "rm":
        chosen, rejected = model_inputs["chosen_labels"][0], model_inputs["rejected_labels"][0]
        prompt = sum(1 for label in chosen if label == -100)
        return prompt, max(len(chosen), len(rejected)) - prompt
    labels = model_inputs["labels"][0]
    prompt = sum(1 for label in labels if label == -100)
    return prompt, len(labels) - prompt


def vgptlint_side(config_path: Path, tokenizer_dir: Path) -> dict:
    from vgptlint.llamafactory.run import KEPT, stop_reason
    from vgptlint.llamafactory.run_report import plan_for

    plan = plan_for(str(config_path), str(tokenizer_dir), None)
    datasets = {}
    for run in plan.datasets:
        if not run.fates:
            datasets[run.ref.name] = None
            continue
        datasets[run.ref.name] = [
            ("kept", (f.cut.kept_prompt, f.cut.kept_answer, f.cut.prompt, f.cut.answer)) if f.outcome == KEPT
            else (f.outcome, None) for f in run.fates if f.outcome != "past-max-samples"]
    return {"stop": stop_reason(plan), "datasets": datasets, "validation": plan.validation_count,
            "kept": sum(run.count(KEPT) for run in plan.datasets)}


STOP_WORDS = ("Undefined dataset", "not found", "not applicable in the current training stage",
              "Cannot find valid samples", "Cannot specify")


def compare(name: str, lf: dict, ours: dict) -> list[str]:
    problems = []
    lf_stop = next((w for w in STOP_WORDS if w in lf["stop"]), lf["stop"])
    our_stop = next((w for w in STOP_WORDS if w in ours["stop"]), ours["stop"])
    if lf_stop != our_stop:
        problems.append(f"{name}: LLaMA-Factory stop {lf['stop']!r}, vgptlint {ours['stop']!r}")
    if not lf["stop"] and lf["train"] + lf["eval"] != ours["kept"]:
        problems.append(f"{name}: LLaMA-Factory trains {lf['train']} + evaluates {lf['eval']}, vgptlint keeps {ours['kept']}")
    for dataset, records in lf["datasets"].items():
        mine = ours["datasets"].get(dataset)
        if (records is None) != (mine is None):
            problems.append(f"{name}/{dataset}: read by {'vgptlint' if records is None else 'LLaMA-Factory'} only")
            continue
        for index, (theirs, our) in enumerate(zip(records or [], mine or [])):
            if theirs != our:
                problems.append(f"{name}/{dataset} record {index + 1}: LLaMA-Factory {theirs}, vgptlint {our}")
        if records is not None and len(records) != len(mine):
            problems.append(f"{name}/{dataset}: {len(records)} records read by LLaMA-Factory, {len(mine)} by vgptlint")
    return problems


def summary(name: str, lf: dict, ours: dict) -> str:
    records = [fate for fates in lf["datasets"].values() if fates for fate in fates]
    kept = [fate for fate in records if fate[0] == "kept"]
    truncated = sum(1 for _, lengths in kept if lengths[:2] != lengths[2:])
    outcome = lf["stop"].split(":")[0] + ": " + next((w for w in STOP_WORDS if w in lf["stop"]), "") if lf["stop"] \
        else f"trains {lf['train']:,}, evaluates {lf['eval']:,}"
    return (f"| {name} | {len(records):,} | {len(kept):,} | {len(records) - len(kept):,} | {truncated:,} | {outcome} | "
            f"{ours['stop'][:40] or 'trains'} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lf-src", type=Path, required=True, help="LLaMA-Factory's src folder")
    parser.add_argument("--owner", type=Path, required=True, help="data files, dataset_info.json and configs/")
    parser.add_argument("--demo", type=Path, default=None, help="LLaMA-Factory's data/ folder: its demo files too")
    parser.add_argument("--work", type=Path, default=Path("/tmp/lf-differential"))
    parser.add_argument("--only", default="*", help="a glob: run only the configs it matches")
    args = parser.parse_args()
    os.environ.setdefault("HF_DATASETS_CACHE", str(args.work / "cache"))
    configs = lay_out(args.owner.resolve(), args.work, args.demo.resolve() if args.demo else None)
    tokenizer_dir = train_tokenizer(args.owner, args.work / "tokenizer")
    lf = import_llamafactory(args.lf_src.resolve())
    os.chdir(args.work)  # dataset_dir "data" is relative to where llamafactory-cli runs
    problems = []
    print("| config | records read | kept | dropped | truncated | LLaMA-Factory | vgptlint |")
    print("|---|---:|---:|---:|---:|---|---|")
    for config in (c for c in configs if fnmatch.fnmatch(c.name, args.only)):
        theirs, ours = lf_side(lf, config, tokenizer_dir), vgptlint_side(config, tokenizer_dir)
        print(summary(config.name, theirs, ours))
        problems += compare(config.name, theirs, ours)
    print("\n".join(problems) if problems else "\nagreement: every config, every record")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
