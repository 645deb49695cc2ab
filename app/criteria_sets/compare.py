"""Compare two versions of a criteria set and suggest indicator code mappings (pure: no Flask, no DB).

Works on the validated content (the JSON a `CriteriaVersion` stores). Fields are compared as
dotted paths (`threshold.value`, `evidence.required`, `bands[0].points`), so a change shows field
by field with its old and new value.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

#: Top-level keys compared as "rules and metadata" (groups are compared item by item).
SET_KEYS = ("name", "effective_from", "applies_to", "legal_basis", "description", "scoring", "targets", "notes")
#: Keys that do not count as a change between versions.
IGNORED_SET_KEYS = ("version",)


@dataclass(frozen=True)
class FieldChange:
    """One changed field: dotted `path`, `old` and `new` value (None when absent)."""

    path: str
    old: Any
    new: Any


@dataclass
class IndicatorChange:
    """An indicator present in both versions (possibly under a new code) and its changed fields."""

    old_code: str
    new_code: str
    group_old: str
    group_new: str
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def renamed(self) -> bool:
        """True when the indicator's code changed (mapped to another code)."""
        return self.old_code != self.new_code


@dataclass
class Comparison:
    """What changed from `old` to `new`.

    `added`/`removed`: indicator dicts (with their group code under `_group`); `changed`: indicators
    whose fields differ or whose code was mapped to a new one; `rules`: changes of the set's
    metadata and scoring rule; `groups_added`/`groups_removed`: group codes; `group_changes`:
    group code → field changes (title, weight, min_percent, …).
    """

    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[IndicatorChange] = field(default_factory=list)
    unchanged: int = 0
    rules: list[FieldChange] = field(default_factory=list)
    groups_added: list[str] = field(default_factory=list)
    groups_removed: list[str] = field(default_factory=list)
    group_changes: dict[str, list[FieldChange]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """True when nothing differs."""
        return not (self.added or self.removed or self.changed or self.rules or self.groups_added or self.groups_removed
                    or self.group_changes)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested dict/list as {dotted path: leaf value}; lists of scalars stay one leaf."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key in value:
            out.update(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


def diff_fields(old: Any, new: Any, skip: tuple[str, ...] = ()) -> list[FieldChange]:
    """Field-by-field differences of two dicts (dotted paths, sorted), ignoring top-level keys in `skip`."""
    a = flatten({k: v for k, v in (old or {}).items() if k not in skip})
    b = flatten({k: v for k, v in (new or {}).items() if k not in skip})
    return [FieldChange(p, a.get(p), b.get(p)) for p in sorted(set(a) | set(b)) if a.get(p) != b.get(p)]


def indicators_of(data: dict) -> dict[str, tuple[str, dict]]:
    """code → (group code, indicator dict) of a set's content, in file order."""
    return {ind["code"]: (g["code"], ind) for g in data.get("groups", []) for ind in g.get("indicators", [])}


def compare(old: dict, new: dict, mapping: dict[str, str | None] | None = None) -> Comparison:
    """Compare two contents. `mapping` (old code → new code, None: discontinued) overrides same-code matching.

    Without a mapping, an indicator is matched by its code. With one, a mapped old code is compared
    with its new code (a rename shows as a change of `code`), and an old code mapped to None is removed.
    """
    result = Comparison()
    result.rules = diff_fields({k: old.get(k) for k in SET_KEYS}, {k: new.get(k) for k in SET_KEYS})
    old_groups = {g["code"]: g for g in old.get("groups", [])}
    new_groups = {g["code"]: g for g in new.get("groups", [])}
    result.groups_added = [c for c in new_groups if c not in old_groups]
    result.groups_removed = [c for c in old_groups if c not in new_groups]
    for code in old_groups.keys() & new_groups.keys():
        changes = diff_fields(old_groups[code], new_groups[code], skip=("indicators",))
        if changes:
            result.group_changes[code] = changes
    old_inds, new_inds = indicators_of(old), indicators_of(new)
    mapping = dict(mapping or {})
    matched_new: set[str] = set()
    for code, (group, ind) in old_inds.items():
        target = mapping.get(code, code if code in new_inds else None)
        if target is None or target not in new_inds:
            result.removed.append({**ind, "_group": group})
            continue
        new_group, new_ind = new_inds[target]
        matched_new.add(target)
        changes = diff_fields(ind, new_ind)
        if changes or group != new_group:
            result.changed.append(IndicatorChange(code, target, group, new_group, changes))
        else:
            result.unchanged += 1
    result.added = [{**ind, "_group": group} for code, (group, ind) in new_inds.items() if code not in matched_new]
    result.group_changes = dict(sorted(result.group_changes.items()))
    return result


def suggest_mapping(old: dict, new: dict, cutoff: float = 0.75) -> dict[str, str | None]:
    """Suggested new code for every old indicator code: the same code when it still exists, else the
    new indicator (not yet taken) whose question text is most alike (difflib ratio ≥ `cutoff`), else None."""
    old_inds, new_inds = indicators_of(old), indicators_of(new)
    suggestion: dict[str, str | None] = {code: code if code in new_inds else None for code in old_inds}
    free = [c for c in new_inds if c not in old_inds]
    for code, target in suggestion.items():
        if target is not None or not free:
            continue
        text = old_inds[code][1].get("text", "")
        scored = sorted(((difflib.SequenceMatcher(None, text, new_inds[c][1].get("text", "")).ratio(), c) for c in free), reverse=True)
        if scored and scored[0][0] >= cutoff:
            suggestion[code] = scored[0][1]
            free.remove(scored[0][1])
    return suggestion
