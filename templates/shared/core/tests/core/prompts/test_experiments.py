"""A/B assignment: stable per user, split by weight within a tested tolerance."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from app.services.prompts import Experiment, PromptFormatError, PromptStore, parse_experiments

USERS = [f"user-{i}" for i in range(20_000)]
TOLERANCE = 0.015  # about five standard deviations of the share over 20 000 users


def shares(experiment: Experiment) -> dict[int, float]:
    counts = Counter(experiment.assign(user) for user in USERS)
    return {version: count / len(USERS) for version, count in counts.items()}


def test_the_split_matches_the_weights() -> None:
    for weights in ({3: 80.0, 4: 20.0}, {1: 50.0, 2: 30.0, 3: 20.0}, {7: 1.0, 8: 1.0}):
        experiment = Experiment("summarize", "exp", tuple(sorted(weights.items())))
        total = sum(weights.values())
        observed = shares(experiment)
        for version, weight in weights.items():
            assert abs(observed[version] - weight / total) < TOLERANCE, (weights, observed)


def test_assignment_is_stable_and_depends_on_the_experiment_name() -> None:
    a = Experiment("summarize", "exp-a", ((3, 50.0), (4, 50.0)))
    again = Experiment("summarize", "exp-a", ((3, 50.0), (4, 50.0)))
    renamed = Experiment("summarize", "exp-b", ((3, 50.0), (4, 50.0)))

    assert [a.assign(u) for u in USERS[:500]] == [again.assign(u) for u in USERS[:500]]
    moved = sum(a.assign(u) != renamed.assign(u) for u in USERS[:2000]) / 2000
    assert 0.4 < moved < 0.6  # a new experiment reshuffles users independently


def test_store_resolves_by_experiment_and_stays_stable(
    store: PromptStore, prompts_dir: Path, prompt_name: str
) -> None:
    store.publish(prompt_name, "Second version.\n")
    (prompts_dir / "experiments.toml").write_text(
        f'[{prompt_name}]\nname = "trial"\n' + "versions = { v1 = 80, v2 = 20 }\n", encoding="utf-8"
    )
    store.reload()

    first = {user: store.resolve(prompt_name, user).ref for user in USERS[:2000]}
    fresh = PromptStore(prompts_dir)
    assert first == {user: fresh.resolve(prompt_name, user).ref for user in USERS[:2000]}
    share_v2 = sum(ref.endswith("@v2") for ref in first.values()) / len(first)
    assert abs(share_v2 - 0.2) < 0.04
    assert store.check() == []


def test_a_prompt_without_an_experiment_serves_its_latest_version(
    store: PromptStore, prompts_dir: Path, prompt_name: str
) -> None:
    store.publish(prompt_name, "Second version.\n")
    (prompts_dir / "experiments.toml").unlink()
    store.reload()

    assert store.resolve(prompt_name, "anyone").version == 2


def test_experiments_routing_to_unpublished_versions_are_caught(
    store: PromptStore, prompts_dir: Path, prompt_name: str
) -> None:
    path = prompts_dir / "experiments.toml"
    path.write_text(f"[{prompt_name}]\n" + "versions = { v1 = 50, v9 = 50 }\n", encoding="utf-8")

    problems = store.check()

    assert [problem.path for problem in problems] == [path]
    assert f"{prompt_name}@v9" in problems[0].message


def test_invalid_experiment_files_are_rejected() -> None:
    for text, message in {
        "[p]\nversions = { three = 1 }": "like v3",
        "[p]\nversions = { v1 = 0 }": "zero weight",
        "[p]\nversions = { v1 = -1 }": ">= 0",
        "[p]\nweights = { v1 = 1 }": "unknown key",
        "[p\n": "not valid TOML",
    }.items():
        with pytest.raises(PromptFormatError, match=message):
            parse_experiments(text, source="experiments.toml")
