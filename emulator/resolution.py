"""Identity resolution settings: the per-store identifier configuration, parsed and printed.

Shapes follow ``IdentifierConfig``, ``IdentityResolutionSettingsCore`` and
``IdentityResolutionSettings`` in the spec (notes §7). Parsing is strict, as the spec's
schemas are (``additionalProperties: false``, enums, bounds), and raises
:class:`SettingsInvalid` with a message naming the field; the API turns it into a 400.

Emulation limits, by choice: ``matchingAlgo: fuzzy`` is accepted and stored but matching is
always exact; ``matchingRules`` are stored and echoed (the emulator has no operation that
resolves a profile from several identifiers at once, where they would matter).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from .ids import ID_TYPE
from .normalization import Normalization

LimitPolicy = Literal["fifo", "lifo"]
MatchingAlgo = Literal["exact", "fuzzy"]

_CONFIG_FIELDS = frozenset(
    {"idType", "matchingAlgo", "matchingThreshold", "limit", "limitPolicy"}
    | {"enforceUnique", "normalization"}
)
MAX_CONFIGS = 15  # identifierConfigs.maxItems
MAX_RULES = 15  # matchingRules.maxItems


class SettingsInvalid(ValueError):
    """The settings document breaks the spec's schema or refers to an unknown idType."""


@dataclass(frozen=True)
class IdentifierConfig:
    """One identifier type's rules; defaults are the spec's ``default`` values."""

    id_type: str
    matching_algo: MatchingAlgo = "exact"
    matching_threshold: int = 75
    limit: int = 100
    limit_policy: LimitPolicy = "fifo"
    enforce_unique: bool = True
    normalization: Normalization = "trim"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"idType": self.id_type, "matchingAlgo": self.matching_algo}
        if self.matching_algo == "fuzzy":
            body["matchingThreshold"] = self.matching_threshold
        body |= {
            "limit": self.limit,
            "limitPolicy": self.limit_policy,
            "enforceUnique": self.enforce_unique,
            "normalization": self.normalization,
        }
        return body


@dataclass(frozen=True)
class ResolutionSettings:
    identifier_configs: tuple[IdentifierConfig, ...]
    matching_rules: tuple[str, ...]
    version: int = 1

    def config(self, id_type: str) -> IdentifierConfig | None:
        # idType matching is case-sensitive (notes §14.4: assumed exact).
        return next((c for c in self.identifier_configs if c.id_type == id_type), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "identifierConfigs": [c.to_json() for c in self.identifier_configs],
            "matchingRules": list(self.matching_rules),
            "version": self.version,
        }

    def etag(self, store_id: str) -> str:
        # Opaque, like the spec's example (base64url of {"id":…,"v":…}); quoted per RFC 9110 §8.8.3.
        raw = json.dumps({"id": store_id, "v": self.version}, separators=(",", ":"))
        return '"' + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=") + '"'


def parse_settings(body: object, *, version: int) -> ResolutionSettings:
    """Parse an ``IdentityResolutionSettingsCore`` document (a ``version`` in it is ignored)."""
    if not isinstance(body, Mapping):
        raise SettingsInvalid("the body must be a JSON object")
    configs_raw = body.get("identifierConfigs")
    rules_raw = body.get("matchingRules")
    if not isinstance(configs_raw, list) or not 1 <= len(configs_raw) <= MAX_CONFIGS:
        raise SettingsInvalid(f"identifierConfigs must be an array of 1 to {MAX_CONFIGS} items")
    if not isinstance(rules_raw, list) or not 1 <= len(rules_raw) <= MAX_RULES:
        raise SettingsInvalid(f"matchingRules must be an array of 1 to {MAX_RULES} items")
    configs = tuple(_parse_config(item, index) for index, item in enumerate(configs_raw))
    names = [c.id_type for c in configs]
    if len(set(names)) != len(names):
        raise SettingsInvalid("identifierConfigs must not repeat an idType")
    for rule in rules_raw:
        if not isinstance(rule, str) or len(rule) > 30:
            raise SettingsInvalid("matchingRules items must be strings of at most 30 characters")
        if rule not in names:
            raise SettingsInvalid(f"matching rule {rule!r} names no configured idType")
    return ResolutionSettings(configs, tuple(cast(list[str], rules_raw)), version)


def _parse_config(item: object, index: int) -> IdentifierConfig:
    where = f"identifierConfigs[{index}]"
    if not isinstance(item, Mapping):
        raise SettingsInvalid(f"{where} must be an object")
    unknown = set(item) - _CONFIG_FIELDS
    if unknown:
        raise SettingsInvalid(f"{where} has unknown properties: {', '.join(sorted(unknown))}")
    id_type = item.get("idType")
    if not isinstance(id_type, str) or not ID_TYPE.fullmatch(id_type):
        raise SettingsInvalid(f"{where}.idType must match {ID_TYPE.pattern}")
    defaults = IdentifierConfig(id_type)
    return IdentifierConfig(
        id_type=id_type,
        matching_algo=_choice(item, "matchingAlgo", ("exact", "fuzzy"), defaults.matching_algo),
        matching_threshold=_integer(item, "matchingThreshold", 50, 99, 75),
        limit=_integer(item, "limit", 1, 100, defaults.limit),
        limit_policy=_choice(item, "limitPolicy", ("fifo", "lifo"), defaults.limit_policy),
        enforce_unique=_boolean(item, "enforceUnique", defaults.enforce_unique),
        normalization=_choice(
            item, "normalization", ("phone", "email", "trim", "none"), defaults.normalization
        ),
    )


def _choice(item: Mapping[str, object], key: str, allowed: tuple[str, ...], default: Any) -> Any:
    value = item.get(key, default)
    if value not in allowed:
        raise SettingsInvalid(f"{key} must be one of {', '.join(allowed)}")
    return value


def _integer(item: Mapping[str, object], key: str, low: int, high: int, default: int) -> int:
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsInvalid(f"{key} must be an integer from {low} to {high}")
    return value


def _boolean(item: Mapping[str, object], key: str, default: bool) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        raise SettingsInvalid(f"{key} must be a boolean")
    return value
