"""Rules that span the spec tree (field-level rules live on the models).

They run on a ``SpecView``: the spec's lists with each item validated on its own,
so one bad tier does not hide a problem elsewhere. A rule that needs the whole
picture (can any tier run this workflow?) only judges when every part it depends
on is valid; otherwise it would guess.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from archgen.spec.models import Model, ProductSpec, Provider, TcoAssumptions, Tier, Workflow

T = TypeVar("T", bound=BaseModel)
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """One broken rule: where (a field path), what, and whether to point at the key."""

    path: Path_
    message: str
    at_key: bool = False


@dataclass
class Entry(Generic[T]):
    """One list item: its index, its validated form (None if invalid) and its raw name."""

    index: int
    item: T | None
    name: str | None
    raw: dict[str, Any]


@dataclass
class SpecView:
    """The parts of a spec the rules look at, valid or not."""

    providers: list[tuple[int, Provider | None]] = field(default_factory=list)
    models: list[Entry[Model]] = field(default_factory=list)
    tiers: list[Entry[Tier]] = field(default_factory=list)
    workflows: list[Entry[Workflow]] = field(default_factory=list)
    tco: TcoAssumptions | None = None
    tco_raw: dict[str, Any] = field(default_factory=dict)
    # The knowledge section as written (None when absent, {} when not a mapping).
    knowledge_raw: dict[str, Any] | None = None
    billing_raw: dict[str, Any] = field(default_factory=dict)
    # False when a section is not a list at all, or an item's id/name is unreadable:
    # then "unknown model" / "unknown tier" could be about the unreadable one.
    providers_listed: bool = True
    model_ids_known: bool = True
    tier_names_known: bool = True

    @property
    def providers_valid(self) -> bool:
        return self.providers_listed and all(p is not None for _, p in self.providers)

    @property
    def enabled(self) -> list[Provider]:
        return [p for _, p in self.providers if p is not None]

    @classmethod
    def from_spec(cls, spec: ProductSpec) -> SpecView:
        """The view of a spec that already validated."""

        def entries(items: Sequence[T], key: str) -> list[Entry[T]]:
            return [
                Entry(i, item, getattr(item, key), item.model_dump())
                for i, item in enumerate(items)
            ]

        return cls(
            providers=list(enumerate(spec.providers)),
            models=entries(spec.models, "id"),
            tiers=entries(spec.tiers, "name"),
            workflows=entries(spec.workflows, "name"),
            tco=spec.tco,
            tco_raw=spec.tco.model_dump(),
            knowledge_raw=spec.knowledge.model_dump(mode="json") if spec.knowledge else None,
            billing_raw=spec.billing.model_dump(mode="json"),
        )

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SpecView:
        """The view of raw spec data that did not validate as a whole."""
        providers: list[tuple[int, Provider | None]] = []
        for i, raw in enumerate(_as_list(data.get("providers"))):
            try:
                providers.append((i, Provider(raw)))
            except ValueError:
                providers.append((i, None))
        tco_raw = data.get("tco") if isinstance(data.get("tco"), dict) else {}
        models = _entries(data.get("models"), Model, "id")
        tiers = _entries(data.get("tiers"), Tier, "name")
        return cls(
            providers=providers,
            models=models,
            tiers=tiers,
            workflows=_entries(data.get("workflows"), Workflow, "name"),
            tco=_validate(TcoAssumptions, tco_raw),
            tco_raw=tco_raw or {},
            knowledge_raw=_knowledge_raw(data),
            billing_raw=data["billing"] if isinstance(data.get("billing"), dict) else {},
            providers_listed=bool(providers) and isinstance(data.get("providers"), list),
            model_ids_known=_names_known(data.get("models"), models),
            tier_names_known=_names_known(data.get("tiers"), tiers),
        )


def _knowledge_raw(data: dict[str, Any]) -> dict[str, Any] | None:
    if "knowledge" not in data or data["knowledge"] is None:
        return None
    raw = data["knowledge"]
    return raw if isinstance(raw, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _validate(cls: type[T], raw: Any) -> T | None:
    try:
        return cls.model_validate(raw)
    except (ValidationError, ValueError, TypeError):
        return None


def _names_known(raw_list: Any, entries: Sequence[Entry[Any]]) -> bool:
    return isinstance(raw_list, list) and all(e.name is not None for e in entries)


def _entries(raw_list: Any, cls: type[T], key: str) -> list[Entry[T]]:
    out = []
    for i, raw in enumerate(_as_list(raw_list)):
        raw_dict = raw if isinstance(raw, dict) else {}
        name = raw_dict.get(key)
        out.append(Entry(i, _validate(cls, raw), name if isinstance(name, str) else None, raw_dict))
    return out


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def _names(items: Iterable[str]) -> str:
    return ", ".join(items) or "none"


# --------------------------------------------------------------------------- rules


def check(view: SpecView) -> list[Finding]:
    """Every cross-tree problem in ``view``, in spec order."""
    findings: list[Finding] = []
    findings += _duplicate_providers(view)
    for section, entries, key in (
        ("models", view.models, "id"),
        ("tiers", view.tiers, "name"),
        ("workflows", view.workflows, "name"),
    ):
        findings += _duplicate_names(section, entries, key)
    findings += _allowed_models(view)
    findings += _unserved(view)
    findings += _workflows_runnable(view)
    findings += _tco(view)
    findings += _knowledge(view)
    findings += _billing(view)
    return findings


def check_spec(spec: ProductSpec) -> list[Finding]:
    """The cross-tree problems of a spec built in code (``parse_spec`` runs these itself)."""
    return check(SpecView.from_spec(spec))


def _duplicate_providers(view: SpecView) -> list[Finding]:
    seen: dict[Provider, int] = {}
    out = []
    for i, provider in view.providers:
        if provider is None:
            continue
        if provider in seen:
            out.append(
                Finding(
                    ("providers", i),
                    f"provider '{provider.value}' is listed twice "
                    f"(first at providers[{seen[provider]}])",
                )
            )
        else:
            seen[provider] = i
    return out


def _duplicate_names(section: str, entries: Sequence[Entry[Any]], key: str) -> list[Finding]:
    seen: dict[str, int] = {}
    out = []
    what = {"models": "model id", "tiers": "tier name", "workflows": "workflow name"}[section]
    for entry in entries:
        if entry.name is None:
            continue
        if entry.name in seen:
            out.append(
                Finding(
                    (section, entry.index, key),
                    f"duplicate {what} '{entry.name}' (first defined at "
                    f"{section}[{seen[entry.name]}])",
                )
            )
        else:
            seen[entry.name] = entry.index
    return out


def _allowed_models(view: SpecView) -> list[Finding]:
    known = [m.name for m in view.models if m.name is not None]
    complete = view.model_ids_known
    out = []
    for tier in view.tiers:
        seen: set[str] = set()
        for j, model_id in enumerate(_as_list(tier.raw.get("allowed_models"))):
            if not isinstance(model_id, str):
                continue  # a field-level error already
            path = ("tiers", tier.index, "allowed_models", j)
            if model_id not in known:
                if not complete:
                    continue
                out.append(
                    Finding(
                        path,
                        f"unknown model '{model_id}'{suggest(model_id, known)}; "
                        f"models defined: {_names(known)}",
                    )
                )
            elif model_id in seen:
                out.append(Finding(path, f"model '{model_id}' is listed twice in this tier"))
            seen.add(model_id)
    return out


def _served(model: Model, enabled: Sequence[Provider]) -> bool:
    return any(p in enabled for p in model.providers)


def _unserved(view: SpecView) -> list[Finding]:
    # With an unknown name in `providers`, "nobody serves this" may just be that typo.
    if not view.providers_valid:
        return []
    enabled = view.enabled
    enabled_text = _names(p.value for p in enabled)
    unserved: dict[str, Model] = {}
    out = []
    for entry in view.models:
        model = entry.item
        if model is None or _served(model, enabled):
            continue
        unserved.setdefault(model.id, model)
        needs = _names(p.value for p in model.providers)
        out.append(
            Finding(
                ("models", entry.index, "providers"),
                f"no enabled provider serves model '{model.id}': it is served by {needs}, "
                f"but providers is [{enabled_text}]; add one of them to providers",
            )
        )
    for tier in view.tiers:
        for j, model_id in enumerate(_as_list(tier.raw.get("allowed_models"))):
            if isinstance(model_id, str) and model_id in unserved:
                needs = _names(p.value for p in unserved[model_id].providers)
                out.append(
                    Finding(
                        ("tiers", tier.index, "allowed_models", j),
                        f"tier '{tier.name}' allows model '{model_id}', which no enabled "
                        f"provider serves (it needs one of: {needs})",
                    )
                )
    return out


@dataclass(frozen=True)
class _Miss:
    """How one (tier, model) pair falls short of a workflow."""

    tier: str
    model: Model
    failures: tuple[tuple[str, str, float], ...]  # (workflow field, explanation, shortfall)

    @property
    def score(self) -> tuple[int, float]:
        return len(self.failures), sum(f[2] for f in self.failures)


def _shortcomings(workflow: Workflow, model: Model, enabled: Sequence[Provider]) -> list[Any]:
    fails: list[tuple[str, str, float]] = []
    if not _served(model, enabled):
        fails.append(("name", "no enabled provider serves it", 1.0))
    if model.quality < workflow.min_quality:
        fails.append(
            (
                "min_quality",
                f"quality {model.quality:g} < min_quality {workflow.min_quality:g}",
                (workflow.min_quality - model.quality) / max(workflow.min_quality, 1e-9),
            )
        )
    if model.context_window < workflow.max_context_tokens:
        fails.append(
            (
                "max_context_tokens",
                f"context_window {model.context_window} < max_context_tokens "
                f"{workflow.max_context_tokens}",
                1 - model.context_window / workflow.max_context_tokens,
            )
        )
    if model.max_output_tokens < workflow.max_output_tokens:
        fails.append(
            (
                "max_output_tokens",
                f"max_output_tokens {model.max_output_tokens} < the workflow's "
                f"max_output_tokens {workflow.max_output_tokens}",
                1 - model.max_output_tokens / workflow.max_output_tokens,
            )
        )
    if workflow.max_latency_ms is not None and model.latency_ms > workflow.max_latency_ms:
        fails.append(
            (
                "max_latency_ms",
                f"latency_ms {model.latency_ms} > max_latency_ms {workflow.max_latency_ms}",
                model.latency_ms / workflow.max_latency_ms - 1,
            )
        )
    return fails


def _workflows_runnable(view: SpecView) -> list[Finding]:
    # Judge only a complete picture: an invalid model or tier might have been the runner.
    if not (view.providers_valid and view.model_ids_known and view.tier_names_known):
        return []
    if any(e.item is None for e in view.models) or any(e.item is None for e in view.tiers):
        return []
    models = {e.item.id: e.item for e in view.models if e.item is not None}
    enabled = view.enabled
    out = []
    for entry in view.workflows:
        workflow = entry.item
        if workflow is None:
            continue
        misses: list[_Miss] = []
        runnable = False
        for tier_entry in view.tiers:
            tier = tier_entry.item
            assert tier is not None
            for model_id in tier.allowed_models:
                model = models.get(model_id)
                if model is None:
                    continue
                fails = _shortcomings(workflow, model, enabled)
                if not fails:
                    runnable = True
                    break
                misses.append(_Miss(tier.name, model, tuple(fails)))
            if runnable:
                break
        if runnable:
            continue
        if not misses:
            out.append(
                Finding(
                    ("workflows", entry.index, "name"),
                    f"no tier can run workflow '{workflow.name}': no tier allows a known model",
                )
            )
            continue
        closest = min(misses, key=lambda m: m.score)
        reasons = " and ".join(f[1] for f in closest.failures)
        out.append(
            Finding(
                ("workflows", entry.index, closest.failures[0][0]),
                f"no tier can run workflow '{workflow.name}': the closest model, "
                f"'{closest.model.id}' (tier '{closest.tier}'), has {reasons}",
            )
        )
    return out


def _tco(view: SpecView) -> list[Finding]:
    out = []
    sections = (
        ("requests_per_user_month", "tier", view.tiers, view.tier_names_known),
        ("tier_mix", "tier", view.tiers, view.tier_names_known),
        ("workflow_mix", "workflow", view.workflows, _names_known_in(view.workflows)),
    )
    for key, noun, entries, complete in sections:
        names = [e.name for e in entries if e.name is not None]
        mapping = view.tco_raw.get(key)
        if not isinstance(mapping, dict) or not complete:
            continue
        for name in mapping:
            if name not in names:
                out.append(
                    Finding(
                        ("tco", key, name),
                        f"unknown {noun} '{name}' in tco.{key}{suggest(str(name), names)}; "
                        f"{noun}s: {_names(names)}",
                        at_key=True,
                    )
                )
    for key in ("tier_mix", "workflow_mix"):
        shares = getattr(view.tco, key) if view.tco is not None else None
        if shares:
            total = math.fsum(shares.values())
            if abs(total - 1) > 1e-9:
                out.append(Finding(("tco", key), f"{key} shares must sum to 1, got {total:.10g}"))
    if view.tco is not None:
        out += _infra_bands(view.tco)
    return out


def _infra_bands(tco: TcoAssumptions) -> list[Finding]:
    """Bands ascend, and cost never falls as users grow (the model relies on both)."""
    out = []
    for i, (before, after) in enumerate(pairwise(tco.infra), start=1):
        if after.up_to_mau <= before.up_to_mau:
            out.append(
                Finding(
                    ("tco", "infra", i, "up_to_mau"),
                    f"infra bands must ascend: up_to_mau {after.up_to_mau} follows "
                    f"{before.up_to_mau}",
                )
            )
        elif after.monthly_usd < before.monthly_usd:
            out.append(
                Finding(
                    ("tco", "infra", i, "monthly_usd"),
                    f"infra cost must not fall as users grow: {after.monthly_usd} for up to "
                    f"{after.up_to_mau} MAU after {before.monthly_usd} for {before.up_to_mau}",
                )
            )
    return out


def _names_known_in(entries: Sequence[Entry[Any]]) -> bool:
    return bool(entries) and all(e.name is not None for e in entries)


def _knowledge(view: SpecView) -> list[Finding]:
    """Workflows name collections that exist; per-tier limits name tiers that exist."""
    out = []
    raw = view.knowledge_raw
    collections = raw.get("collections") if raw is not None else None
    names = (
        [c["name"] for c in collections if isinstance(c, dict) and isinstance(c.get("name"), str)]
        if isinstance(collections, list)
        else None
    )
    complete = (
        names is not None and isinstance(collections, list) and len(names) == len(collections)
    )
    for entry in view.workflows:
        wanted = entry.raw.get("collection")
        if not isinstance(wanted, str):
            continue
        if raw is None:
            out.append(
                Finding(
                    ("workflows", entry.index, "collection"),
                    f"workflow '{entry.name}' names collection '{wanted}', but the spec has "
                    "no knowledge section",
                )
            )
        elif complete and names is not None and wanted not in names:
            out.append(
                Finding(
                    ("workflows", entry.index, "collection"),
                    f"unknown collection '{wanted}'{suggest(wanted, names)}; "
                    f"collections: {_names(names)}",
                )
            )
    limits = raw.get("limits") if raw is not None else None
    if isinstance(limits, dict) and view.tier_names_known:
        tiers = [e.name for e in view.tiers if e.name is not None]
        for name in limits:
            if name not in tiers:
                out.append(
                    Finding(
                        ("knowledge", "limits", name),
                        f"unknown tier '{name}' in knowledge.limits{suggest(str(name), tiers)}; "
                        f"tiers: {_names(tiers)}",
                        at_key=True,
                    )
                )
    return out


def _billing(view: SpecView) -> list[Finding]:
    """The fallback tier exists; Stripe lookup keys name one price each."""
    out = []
    names = [e.name for e in view.tiers if e.name is not None]
    fallback = view.billing_raw.get("fallback_tier")
    if isinstance(fallback, str) and view.tier_names_known and fallback not in names:
        out.append(
            Finding(
                ("billing", "fallback_tier"),
                f"unknown tier '{fallback}' as billing.fallback_tier"
                f"{suggest(fallback, names)}; tiers: {_names(names)}",
            )
        )
    keys: dict[str, tuple[str | int, ...]] = {}
    located: list[tuple[tuple[str | int, ...], Any]] = [
        (("tiers", e.index, "stripe_lookup_key"), e.raw.get("stripe_lookup_key"))
        for e in view.tiers
    ]
    located += [
        (("tiers", e.index, "stripe_lookup_key"), f"{e.raw.get('stripe_lookup_key')}_usage")
        for e in view.tiers
        if isinstance(e.raw.get("stripe_lookup_key"), str)
    ]
    for j, pack in enumerate(_as_list(view.billing_raw.get("credit_packs"))):
        if isinstance(pack, dict):
            where: tuple[str | int, ...] = ("billing", "credit_packs", j, "stripe_lookup_key")
            located.append((where, pack.get("stripe_lookup_key")))
    for path, key in located:
        if not isinstance(key, str):
            continue
        if key in keys:
            out.append(Finding(path, f"Stripe lookup key '{key}' is used twice"))
        keys.setdefault(key, path)
    return out
