"""Every accumulator: random chunk splits, merged in a random order and grouping, equal one sequential pass.

Also: each chunk's state survives pickling (workers send states back to the parent process).
"""
from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgptlint.aggregates.base import ACCUMULATORS, RecordRef
from vgptlint.builtins import load_builtins
from vgptlint.functions.base import Context, build_options
from vgptlint.policy.load import load_policy
from vgptlint.resources import builtin_dir
from vgptlint.select.jsonpath import compile_selector

load_builtins()

NOLOCK = {"function": "pattern", "options": {"match": r"WITH\s*\(\s*NOLOCK\s*\)", "flags": "i"}}
# accumulator -> (given, options); every registered accumulator must appear here.
CONFIGS = {
    "ratio": ("$.output", {"when": NOLOCK, "among": {"facet": "content_type", "values": ["sql_generation", "other"]},
                           "min": 0.95, "label": "NOLOCK coverage"}),
    "count": ("$.output", {"when": {"function": "length", "options": {"min": 50}}, "max": 2}),
    "distribution": ("$", {"facet": "content_type", "shares": {"schema_description": {"max": 0.01}}}),
    "balance": ("$.label", {"values": ["true", "false"], "min": 0.95, "max": 0.99}),
    "histogram": ("$.output", {"edges": [20, 60, 200], "max_share": {"20-59": 0.1}, "min_share": {"<20": 0.5}}),
    "duplicates": ("$", {"max": 0.0}),
    "near_duplicates": ("$", {"threshold": 0.7, "max": 0.0}),
    "ordering": ("$", {"facet": "content_type", "min_mixing": 0.9, "max_longest_run": 0.01}),
    "truncation": ("$.output", {"max": 0.0, "pileup_min": 2, "pileup_min_length": 60, "pileup_factor": 1.5}),
    "contamination": ("$.instruction", {"against": ["held_out.json"], "threshold": 0.8}),
    "feature_skew": ("$", {"max_gap": 0.2, "max_length_ratio": 1.1}),
    "label_skew": ("$.output", {"max_accuracy": 0.6}),
    "lf_dataset_info_entry": ("$", {}),
    "lf_optional_columns": ("$", {}),
}

POOL = [
    {"instruction": "List AP vendors", "input": "", "output": "SELECT Vendor FROM APVM WITH (NOLOCK) WHERE VendorGroup = 1",
     "chosen": "SELECT Vendor FROM APVM WITH (NOLOCK)", "rejected": "SELECT Vendor FROM APVM", "label": True},
    {"instruction": "What columns are in APTH?", "input": "", "output": "APCo, Mth, APTrans, Vendor and InvTotal, among others.",
     "chosen": "APCo, Mth, APTrans.", "rejected": "APCo.", "label": "false"},
    {"instruction": "what columns are  in APTH?", "input": "", "output": "APCo, Mth, APTrans, Vendor and InvTotal, among others.",
     "label": "true"},
    {"instruction": "Show open AP invoices for company 7", "input": "", "output": "Filter APTH on APCo = 7 and read APTD for the status.",
     "chosen": "There is no table named Invoices; use APTH.", "rejected": "SELECT * FROM Invoices", "label": False},
    {"instruction": "Show open AP invoices for company 3", "input": "", "output": "Filter APTH on APCo = 3 and read APTD for the status."},
    {"instruction": "Fix this query", "input": "SELECT * FROM APTH", "output": "```sql\nSELECT APCo FROM APTH WITH (NOLOCK) WHERE APCo = 1 AND",
     "label": "yes"},
    {"instruction": "What are the key columns of APTD? Be precise.", "input": "", "output": "x" * 80, "chosen": "y" * 90, "rejected": "y" * 90},
    {"instruction": "What is APTH?", "input": "", "output": "y" * 80},
    {"instruction": "Query the Vendors table", "input": "", "output": "There is no table named Vendors in Viewpoint; use APVM."},
    {"instruction": "Join APTH to APTL", "input": "", "output": "Use: SELECT h.APCo FROM APTH h WITH (NOLOCK) JOIN APTL l ON l.APCo = h.APCo"},
    ["not an object"],
]


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("merge")
    (folder / "held_out.json").write_text(json.dumps([{"id": "q1", "question": "What are the key columns of APTD?"}]))
    policy = load_policy(str(builtin_dir("rules") / "dataset.yaml"))
    return folder, policy.facets


def test_every_accumulator_has_a_config():
    # Built-in ones (tests may register their own, e.g. tests/fixes/conftest.py).
    builtin = [name for name, acc in ACCUMULATORS.items() if acc.add.__module__.startswith("vgptlint.")]
    assert sorted(builtin) == sorted(CONFIGS)


def _context(folder: Path, facets, services: dict) -> Context:
    return Context(record=None, kind="sft", path=str(folder / "train.json"), policy_settings={"facets": facets}, services=services)


def _run(name: str, records: list, bounds: list[int], merge_seed: int, folder: Path, facets):
    given_path, raw = CONFIGS[name]
    acc = ACCUMULATORS[name]
    opts = build_options(acc.options, raw)
    selector = compile_selector(given_path)
    services: dict = {}

    def chunk(start: int, stop: int):
        ctx = _context(folder, facets, services)
        state = acc.empty(opts)
        for index in range(start, stop):
            ctx.record, ctx.record_index = records[index], index
            state = acc.add(state, selector.find(records[index]), ctx, RecordRef(index, index + 2, 3), opts)
        return pickle.loads(pickle.dumps(state))

    sequential = acc.finalize(chunk(0, len(records)), opts)
    edges = [0, *sorted(set(bounds)), len(records)]
    states = [chunk(a, b) for a, b in zip(edges, edges[1:]) if a <= b]
    rng = random.Random(merge_seed)
    rng.shuffle(states)  # commutativity
    while len(states) > 1:  # associativity: merge random neighbours, in a random tree shape
        at = rng.randrange(len(states) - 1)
        states[at:at + 2] = [acc.merge(states[at], states[at + 1], opts)]
    merged = acc.finalize(acc.merge(acc.empty(opts), states[0], opts) if states else acc.empty(opts), opts)
    return sequential, merged


@pytest.mark.parametrize("name", sorted(CONFIGS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_chunked_equals_sequential(name, data, environment):
    folder, facets = environment
    picks = data.draw(st.lists(st.integers(0, len(POOL) - 1), min_size=0, max_size=30), label="records")
    records = [POOL[p] for p in picks]
    bounds = data.draw(st.lists(st.integers(0, len(records)), max_size=6), label="splits")
    seed = data.draw(st.integers(0, 2**16), label="merge order")
    sequential, merged = _run(name, records, bounds, seed, folder, facets)
    assert merged == sequential


def test_the_configs_produce_findings(environment):
    """The property test is only meaningful if the configurations make each accumulator report something."""
    folder, facets = environment
    records = POOL * 3
    quiet = [name for name in sorted(CONFIGS) if name not in ("lf_dataset_info_entry", "lf_optional_columns")
             and not _run(name, records, [], 0, folder, facets)[0].hits]
    assert quiet == []


def _judged_alternative(value: object) -> object:
    """Another valid value for a judged option (a bound, a confidence, a label)."""
    if value is None:
        return 1  # an integer is also a valid float option
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5 if value >= 1 else (value + 1) / 2
    if isinstance(value, str):
        return value + " (changed)"
    if isinstance(value, dict):
        return {}
    raise AssertionError(f"no alternative for {value!r}")


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_judged_options_never_reach_a_state(name, environment):
    """``judged_by`` options are read by finalize alone: the result cache re-decides a changed bound from
    a cached state (vgptlint.incremental), so empty/add/merge must give the same state whatever they are."""
    folder, facets = environment
    given_path, raw = CONFIGS[name]
    acc = ACCUMULATORS[name]
    opts = build_options(acc.options, raw)
    changed = {field: _judged_alternative(getattr(opts, field)) for field in acc.judged_by}
    other = build_options(acc.options, {**raw, **changed})
    assert all(getattr(other, field) == value for field, value in changed.items())
    selector = compile_selector(given_path)
    records = POOL * 2

    def states(options):
        services: dict = {}
        ctx = _context(folder, facets, services)
        halves = []
        for start, stop in ((0, len(POOL)), (len(POOL), len(records))):
            state = acc.empty(options)
            for index in range(start, stop):
                ctx.record, ctx.record_index = records[index], index
                state = acc.add(state, selector.find(records[index]), ctx, RecordRef(index, index + 2, 3), options)
            halves.append(pickle.dumps(state))
        merged = acc.merge(pickle.loads(halves[0]), pickle.loads(halves[1]), options)
        return [*halves, pickle.dumps(merged)]

    assert states(opts) == states(other)


# ------------------------------------------------------------------ observe / absorb

OBSERVING = sorted(name for name in CONFIGS if ACCUMULATORS[name].absorb is not None)


def _observed(name: str, records: list, folder: Path, facets, first_index: int = 0) -> list:
    """Each record's observation (None: it adds nothing), observed as the engine does."""
    given_path, raw = CONFIGS[name]
    acc = ACCUMULATORS[name]
    opts = build_options(acc.options, raw)
    selector = compile_selector(given_path)
    ctx = _context(folder, facets, {})
    observations = []
    for number, record in enumerate(records):
        ctx.record, ctx.record_index = record, first_index + number
        observations.append(acc.observe(selector.find(record), ctx, opts))
    return observations


@pytest.mark.parametrize("name", OBSERVING)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_absorbing_in_any_batches_equals_adding(name, data, environment):
    """What the result cache does with cached observations (settled and absorbed in batches of any
    size, after a pickle round trip) gives the state ``add`` gives record by record."""
    folder, facets = environment
    picks = data.draw(st.lists(st.integers(0, len(POOL) - 1), min_size=0, max_size=30), label="records")
    records = [POOL[p] for p in picks]
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(records)), max_size=6), label="batches")))
    acc = ACCUMULATORS[name]
    opts = build_options(acc.options, CONFIGS[name][1])
    sequential = acc.finalize(_added(name, records, folder, facets), opts)
    observed = [(o, RecordRef(i, i + 2, 3)) for i, o in enumerate(_observed(name, records, folder, facets)) if o is not None]
    state = acc.empty(opts)
    edges = [0, *cuts, len(observed)]
    for start, stop in zip(edges, edges[1:]):
        batch = observed[start:stop]
        if not batch:
            continue
        observations = [o for o, _ in batch]
        if acc.settle is not None:
            observations = acc.settle(observations, opts)
        observations = pickle.loads(pickle.dumps(observations))
        state = acc.absorb(state, observations, [ref for _, ref in batch], opts)
    assert acc.finalize(state, opts) == sequential


def _added(name: str, records: list, folder: Path, facets):
    given_path, raw = CONFIGS[name]
    acc = ACCUMULATORS[name]
    opts = build_options(acc.options, raw)
    selector = compile_selector(given_path)
    ctx = _context(folder, facets, {})
    state = acc.empty(opts)
    for index, record in enumerate(records):
        ctx.record, ctx.record_index = record, index
        state = acc.add(state, selector.find(record), ctx, RecordRef(index, index + 2, 3), opts)
    return state


@pytest.mark.parametrize("name", OBSERVING)
def test_observations_do_not_depend_on_position(name, environment):
    """The result cache keys an observation by the record's text alone: the same record anywhere in a
    file is observed alike (positions reach the state through ``absorb``'s refs)."""
    folder, facets = environment
    here = _observed(name, POOL, folder, facets)
    elsewhere = _observed(name, POOL, folder, facets, first_index=1000)
    assert pickle.dumps(here) == pickle.dumps(elsewhere)


def test_builtin_accumulators_observe():
    """Every built-in accumulator is cached per record (the record table needs all of a file's rules to observe)."""
    assert OBSERVING == sorted(CONFIGS)
