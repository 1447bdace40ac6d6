"""Identifier formats: the spec's path patterns and a generator for new ids.

Twilio Type IDs (TTIDs) are ``<prefix>_`` plus 26 lowercase characters whose first is ``0-7``
(the TypeID layout: a UUIDv7 in Crockford base32). The spec's patterns accept all of
``[0-9a-z]`` (``components/parameters``), so we validate with the spec's regexes and generate
with Crockford's alphabet, which the spec's regexes also accept.
"""

from __future__ import annotations

import os
import re
import time

# components/parameters/StoreId, ProfileId (spec) and IdentityProfileID.
STORE_ID = re.compile(r"^mem_(store|service)_[0-7][0-9a-z]{25}$")
PROFILE_ID = re.compile(r"^mem_profile_[0-7][0-9a-z]{25}$")
# components/parameters/IdentifierType only bounds the length (2..30); Twilio's limits page
# adds the charset ("alphanumeric, hyphens, and underscores"), which we enforce as well.
ID_TYPE = re.compile(r"^[A-Za-z0-9_-]{2,30}$")
# components/schemas: ConversationID, ObservationID, SummaryID; Communication.id and
# Participant.id; the SourceParam / ObservationInfo.source pattern (1..100 characters).
CONVERSATION_ID = re.compile(r"^conv_conversation_[0-7][0-9a-z]{25}$")
OBSERVATION_ID = re.compile(r"^mem_observation_[0-7][0-9a-z]{25}$")
SUMMARY_ID = re.compile(r"^mem_summary_[0-7][0-9a-z]{25}$")
COMMUNICATION_ID = re.compile(r"^conv_communication_[0-7][0-9a-z]{25}$")
PARTICIPANT_ID = re.compile(r"^conv_participant_[0-7][0-9a-z]{25}$")
SOURCE = re.compile(r"^[a-zA-Z0-9 _.-]{1,100}$")

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def new_ttid(prefix: str) -> str:
    """A fresh time-ordered id: 48-bit milliseconds then 80 random bits, as in UUIDv7."""
    number = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        number, digit = divmod(number, 32)
        chars.append(_CROCKFORD[digit])
    # 26 base32 digits hold 130 bits; a 128-bit number leaves the first digit in 0..7.
    return f"{prefix}_{''.join(reversed(chars))}"
