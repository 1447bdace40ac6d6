"""The write toolset (issue 19): off unless TWILIO_MEMORY_TOOLSETS names ``write``.

add_observation.py            CreateProfileObservation
add_conversation_summary.py   CreateProfileConversationSummary
update_profile_traits.py      PatchProfileTraits (destructive: null deletes a trait)
add_profile_identifier.py     CreateProfileIdentifier (destructive: may merge profiles)
consent.py                    asking the person (TWILIO_MEMORY_WRITE_CONFIRM)
run.py                        one write: consent outcome -> at most one send -> result, audit
common.py, fields.py          annotations, masking, argument types
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.calls import ToolSpec

# The tools' names, spelled here so that selecting tools (tools.enabled_tools, OAuth scopes)
# does not import the toolset: its modules are imported only when a deployment exposes one
# of them (bench/cold_start.py; issue 17). tests/tools/test_toolsets.py checks they match.
NAMES = ("add_observation", "add_conversation_summary", "update_profile_traits", "add_profile_identifier")


def specs() -> tuple[ToolSpec, ...]:
    """The toolset's specs, in the order of :data:`NAMES` (imports the write modules)."""
    from tools.writes import (
        add_conversation_summary,
        add_observation,
        add_profile_identifier,
        update_profile_traits,
    )

    return (
        add_observation.SPEC,
        add_conversation_summary.SPEC,
        update_profile_traits.SPEC,
        add_profile_identifier.SPEC,
    )
