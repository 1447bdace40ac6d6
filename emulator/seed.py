"""Seed data: accounts, stores and profiles loaded from JSON, and the well-known example ids.

A seed is a JSON object::

    {"accounts": [{"accountSid", "authToken", "apiKeys": [{"sid", "secret"}]}],
     "stores": [{"id", "accountSid", "displayName",
                 "identityResolutionSettings": {"identifierConfigs", "matchingRules", "version"},
                 "profiles": [{"id", "createdAt", "traits",
                               "identifiers": [{"idType", "value"}, ...],
                               "observations", "summaries", "communications"}]}],
     "examples": {"storeId", "profileId", ...}}

Profiles load in file order and each profile's identifiers in list order, through the same
code path as ``CreateProfileIdentifier``: values are normalized, limits applied, and a value an
``enforceUnique`` type already holds merges the profiles (that is how the default seed builds
its merged pair). A value added to an already merged profile goes to its canonical profile.
Memories are written in the spec's shapes (see :mod:`emulator.memories`) and load before the
profile's identifiers, so a merge made by those identifiers carries them to the survivor.
The packaged default is ``emulator/default_seed.json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .auth import Account, ApiKey
from .ids import PROFILE_ID, STORE_ID
from .memories import MemoryInvalid, parse_memories
from .normalization import InvalidValue
from .resolution import SettingsInvalid, parse_settings
from .store import Profile, Store, UnknownIdType

SeedSource = Path | str | Mapping[str, Any] | None


class SeedError(ValueError):
    """The seed document is malformed."""


@dataclass
class World:
    accounts: tuple[Account, ...]
    stores: dict[str, Store]


@dataclass(frozen=True)
class SeedExamples:
    """Well-known ids and credentials of a seed, for demos, docs and tests."""

    store_id: str
    profile_id: str  # a plain profile with email and phone values
    merged_profile_id: str  # merged into canonical_profile_id
    canonical_profile_id: str
    full_profile_id: str  # holds the 100-value maximum of full_id_type
    full_id_type: str
    missing_profile_id: str  # well-formed, absent from the store
    other_account_store_id: str  # owned by another account: 403
    memory_profile_id: str  # memories mention emails and phone numbers (redaction tests)
    memory_conversation_id: str  # a conversation of memory_profile_id with communications
    merged_conversation_id: str  # a conversation seeded on merged_profile_id, held by the canonical
    memory_emails: tuple[str, ...]  # every email address in memory_profile_id's memories, as written
    memory_phones: tuple[str, ...]  # every phone number in them, as written
    paged_profile_id: str  # paged_observation_count observations: several pages at the default size
    paged_observation_count: int
    account_sid: str
    auth_token: str
    api_key: str
    api_secret: str


def read_seed(source: SeedSource = None) -> Mapping[str, Any]:
    """The seed document: a mapping as is, a path's JSON, or the packaged default."""
    if isinstance(source, Mapping):
        return source
    if source is None:
        text = resources.files(__package__).joinpath("default_seed.json").read_text("utf-8")
    else:
        text = Path(source).read_text(encoding="utf-8")
    document = json.loads(text)
    if not isinstance(document, dict):
        raise SeedError("a seed must be a JSON object")
    return document


def build_world(seed: Mapping[str, Any]) -> World:
    accounts = tuple(_account(item) for item in _list(seed, "accounts"))
    if not accounts:
        raise SeedError("a seed needs at least one account")
    known_accounts = {a.sid for a in accounts}
    stores: dict[str, Store] = {}
    for item in _list(seed, "stores"):
        store = _store(item, known_accounts)
        stores[store.id] = store
    return World(accounts, stores)


def examples_from_seed(seed: Mapping[str, Any]) -> SeedExamples:
    """The seed's ``examples`` object; credentials are those of the seed's first account."""
    raw = seed.get("examples")
    if not isinstance(raw, Mapping):
        raise SeedError("the seed has no examples object")
    account = _account(_list(seed, "accounts")[0])
    if not account.api_keys:
        raise SeedError("the first account needs an API key for the examples")
    try:
        return SeedExamples(
            store_id=raw["storeId"],
            profile_id=raw["profileId"],
            merged_profile_id=raw["mergedProfileId"],
            canonical_profile_id=raw["canonicalProfileId"],
            full_profile_id=raw["fullProfileId"],
            full_id_type=raw["fullIdType"],
            missing_profile_id=raw["missingProfileId"],
            other_account_store_id=raw["otherAccountStoreId"],
            memory_profile_id=raw["memoryProfileId"],
            memory_conversation_id=raw["memoryConversationId"],
            merged_conversation_id=raw["mergedConversationId"],
            memory_emails=tuple(raw["memoryEmails"]),
            memory_phones=tuple(raw["memoryPhones"]),
            paged_profile_id=raw["pagedProfileId"],
            paged_observation_count=_whole(raw["pagedObservationCount"], "examples.pagedObservationCount"),
            account_sid=account.sid,
            auth_token=account.auth_token,
            api_key=account.api_keys[0].sid,
            api_secret=account.api_keys[0].secret,
        )
    except KeyError as missing:
        raise SeedError(f"examples.{missing.args[0]} is missing") from None


def default_examples() -> SeedExamples:
    """The well-known ids and credentials of the packaged default seed."""
    return examples_from_seed(read_seed(None))


def _account(item: Any) -> Account:
    try:
        keys = tuple(ApiKey(k["sid"], k["secret"]) for k in item.get("apiKeys", []))
        return Account(item["accountSid"], item["authToken"], keys)
    except (KeyError, TypeError, AttributeError) as error:
        raise SeedError(f"malformed account: {error}") from None


def _store(item: Any, known_accounts: set[str]) -> Store:
    if not isinstance(item, Mapping) or not STORE_ID.fullmatch(str(item.get("id", ""))):
        raise SeedError(f"a store needs an id matching {STORE_ID.pattern}")
    if item.get("accountSid") not in known_accounts:
        raise SeedError(f"store {item['id']} names an unknown accountSid")
    raw_settings = item.get("identityResolutionSettings", {})
    version = raw_settings.get("version", 1) if isinstance(raw_settings, Mapping) else 1
    try:
        settings = parse_settings(raw_settings, version=_whole(version, f"store {item['id']}: version"))
    except SettingsInvalid as error:
        raise SeedError(f"store {item['id']}: {error}") from None
    store = Store(item["id"], item["accountSid"], str(item.get("displayName", "")), settings)
    for raw in _list(item, "profiles"):
        _load_profile(store, raw)
    return store


def _load_profile(store: Store, raw: Any) -> None:
    if not isinstance(raw, Mapping) or not PROFILE_ID.fullmatch(str(raw.get("id", ""))):
        raise SeedError(f"store {store.id}: a profile needs an id matching {PROFILE_ID.pattern}")
    profile = Profile(raw["id"], str(raw.get("createdAt", "2025-01-01T00:00:00Z")))
    profile.traits = _traits(profile.id, raw.get("traits", {}))
    try:
        profile.memories = parse_memories(raw)
    except MemoryInvalid as error:
        raise SeedError(f"profile {profile.id}: {error}") from None
    store.profiles[profile.id] = profile
    for identifier in raw.get("identifiers", []):
        target = store.canonical(profile.id)
        assert target is not None  # it was just stored
        try:
            store.add_value(target, identifier["idType"], identifier["value"])
        except (UnknownIdType, InvalidValue, KeyError, TypeError) as error:
            raise SeedError(f"profile {profile.id}: bad identifier {identifier!r}: {error}") from None


def _traits(profile_id: str, raw: object) -> dict[str, dict[str, Any]]:
    """``TraitGroups``: ≤50 groups of ≤99 traits; a value is a string, integer, boolean, or an
    array of those (no nested arrays)."""
    problem = f"profile {profile_id}: traits must map ≤50 group names to objects of ≤99 traits"
    if not isinstance(raw, Mapping) or len(raw) > 50:
        raise SeedError(problem)
    groups: dict[str, dict[str, Any]] = {}
    for name, group in raw.items():
        if not isinstance(group, Mapping) or len(group) > 99:
            raise SeedError(problem)
        for trait, value in group.items():
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(item, str | int | bool) for item in items):
                raise SeedError(f"profile {profile_id}: trait {name}.{trait} has an unsupported value")
        groups[str(name)] = dict(group)
    return groups


def _whole(value: object, where: str) -> int:
    """A JSON integer: int() would also take "²" (a ValueError), "3" and 2.7 (2)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SeedError(f"{where} must be a whole number")
    return value


def _list(container: Mapping[str, Any], key: str) -> list[Any]:
    value = container.get(key, [])
    if not isinstance(value, list):
        raise SeedError(f"{key} must be a list")
    return value
