"""The in-memory data: stores, profiles, identifier values, and the merge and limit rules.

Values are kept per profile and idType in the order they were added (oldest first, the
reading of "ordered chronologically" in ``IdentifierSet``, notes §10). Each value remembers the
sequence number of the write that added it, the emulator's stand-in for "the timestamp of the
request when the identifier was added" (``IdentifierConfig.limitPolicy``).

Rules, with the spec's text they follow or the assumption they make:

- Re-adding a value the profile already holds is a no-op: it keeps its original position
  (assumption; notes §14.6).
- ``limit``/``limitPolicy``: after a write, while a type holds more than ``limit`` values,
  ``fifo`` drops the oldest and ``lifo`` the most recent (schema text; under ``lifo`` a new
  value added to a full set is itself the one dropped).
- ``enforceUnique``: adding a value another profile holds merges the profiles; the earliest id
  (lexicographically lowest TTID, i.e. the oldest UUIDv7) survives (CreateProfilesLookup:
  "the earliest ID if profiles have been merged"). Values are united, a value held by both keeps
  its earliest add time, the union is ordered by add time, then each type's limit is applied.
  Traits are united too, the survivor's winning on conflict; memories (observations, summaries,
  communications) move to the survivor, so they stay reachable through it. With ``enforceUnique: false`` no
  merge happens and several profiles may share the value (Lookup then returns them all).
- A merged profile keeps only a pointer to the profile it merged into; :meth:`Store.canonical`
  follows the chain to the end, so a redirect always names the final profile in one hop.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .memories import Memories
from .normalization import normalize
from .resolution import IdentifierConfig, ResolutionSettings


@dataclass
class StoredValue:
    value: str
    added: int


@dataclass
class Profile:
    id: str
    created_at: str  # RFC 3339, as the spec's Profile.createdAt
    traits: dict[str, dict[str, Any]] = field(default_factory=dict)
    identifiers: dict[str, list[StoredValue]] = field(default_factory=dict)
    memories: Memories = field(default_factory=Memories)
    merged_into: str | None = None

    def values(self, id_type: str) -> list[str]:
        return [v.value for v in self.identifiers.get(id_type, [])]


class UnknownIdType(KeyError):
    """The idType is not configured on the store."""


class ValueNotFound(LookupError):
    """The value to replace is not stored on the profile."""


class ValueConflict(ValueError):
    """The replacement value is already stored on the profile."""


@dataclass
class Store:
    id: str
    account_sid: str
    display_name: str
    settings: ResolutionSettings
    profiles: dict[str, Profile] = field(default_factory=dict)
    # One clock per store for add times: values only ever meet (on merge) inside one store.
    _clock: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def canonical(self, profile_id: str) -> Profile | None:
        """The profile a (possibly merged) id resolves to now, or None if unknown."""
        profile = self.profiles.get(profile_id)
        seen = set()
        while profile is not None and profile.merged_into is not None:
            if profile.id in seen:  # a seed could describe a loop; never hang on it
                raise RuntimeError(f"merge loop at {profile.id}")
            seen.add(profile.id)
            profile = self.profiles.get(profile.merged_into)
        return profile

    def config(self, id_type: str) -> IdentifierConfig:
        config = self.settings.config(id_type)
        if config is None:
            raise UnknownIdType(id_type)
        return config

    def normalize(self, id_type: str, raw: str) -> str:
        return normalize(raw, self.config(id_type).normalization)

    def holders(self, id_type: str, value: str) -> list[Profile]:
        """Canonical profiles holding the (normalized) value, lowest id first."""
        found = [p for p in self.profiles.values() if p.merged_into is None and value in p.values(id_type)]
        return sorted(found, key=lambda p: p.id)

    def add_value(self, profile: Profile, id_type: str, raw: str) -> Profile:
        """Add a value (normalized here); return the profile that holds it afterwards."""
        config = self.config(id_type)
        value = normalize(raw, config.normalization)
        stored = profile.identifiers.setdefault(id_type, [])
        if value not in (v.value for v in stored):
            stored.append(StoredValue(value, next(self._clock)))
        return self._settle(profile, config, value)

    def replace_value(self, profile: Profile, id_type: str, old_raw: str, new_raw: str) -> Profile:
        """PatchProfileIdentifier: the new value takes the old one's place and add time."""
        config = self.config(id_type)
        old = normalize(old_raw, config.normalization)
        new = normalize(new_raw, config.normalization)
        stored = profile.identifiers.get(id_type, [])
        index = next((i for i, v in enumerate(stored) if v.value == old), None)
        if index is None:
            raise ValueNotFound(old)
        if new == old:
            return profile
        if new in (v.value for v in stored):
            raise ValueConflict(new)
        stored[index] = StoredValue(new, stored[index].added)
        return self._settle(profile, config, new)

    def remove_value(self, profile: Profile, id_type: str, *, remove_all: bool) -> int:
        """DeleteProfileIdentifier; without ``remove_all`` the limitPolicy picks one value
        (fifo: the oldest, lifo: the newest; notes §10, inferred). Returns how many went."""
        config = self.config(id_type)
        stored = profile.identifiers.get(id_type, [])
        if not stored:
            return 0
        if remove_all:
            count = len(stored)
            stored.clear()
            return count
        stored.pop(0 if config.limit_policy == "fifo" else -1)
        return 1

    def _settle(self, profile: Profile, config: IdentifierConfig, value: str) -> Profile:
        if config.enforce_unique:
            others = [p for p in self.holders(config.id_type, value) if p.id != profile.id]
            if others:
                profile = self.merge([profile, *others])
        self.apply_limits(profile)
        return profile

    def merge(self, profiles: Iterable[Profile]) -> Profile:
        """Merge profiles into the one with the lowest id and return it."""
        ordered = sorted(profiles, key=lambda p: p.id)
        survivor, losers = ordered[0], ordered[1:]
        for loser in losers:
            for id_type, stored in loser.identifiers.items():
                mine = {v.value: v for v in survivor.identifiers.setdefault(id_type, [])}
                for item in stored:
                    if item.value not in mine or item.added < mine[item.value].added:
                        mine[item.value] = item
                survivor.identifiers[id_type] = sorted(mine.values(), key=lambda v: v.added)
            for group, traits in loser.traits.items():
                survivor.traits[group] = traits | survivor.traits.get(group, {})
            survivor.memories.absorb(loser.memories)
            loser.identifiers = {}
            loser.traits = {}
            loser.merged_into = survivor.id
        self.apply_limits(survivor)
        return survivor

    def apply_limits(self, profile: Profile) -> None:
        for id_type, stored in profile.identifiers.items():
            config = self.settings.config(id_type)
            if config is None:
                continue  # the type was removed from the settings; its data stays untouched
            excess = len(stored) - config.limit
            if excess > 0:
                del stored[slice(0, excess) if config.limit_policy == "fifo" else slice(-excess, None)]
