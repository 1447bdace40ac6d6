"""The Memory API's id and field formats (spec components), checked wherever they enter.

Ids are "Twilio Type IDs": a prefix, then 26 lowercase letters or digits, the first 0-7.
"""

from __future__ import annotations

STORE_ID_PATTERN = r"^mem_(store|service)_[0-7][0-9a-z]{25}$"
PROFILE_ID_PATTERN = r"^mem_profile_[0-7][0-9a-z]{25}$"
# The spec bounds idType to 2..30 characters; Twilio's limits page adds the charset.
ID_TYPE_PATTERN = r"^[A-Za-z0-9_-]{2,30}$"

# components/schemas: ConversationID, ObservationID, SummaryID; Communication.id, Participant.id.
CONVERSATION_ID_PATTERN = r"^conv_conversation_[0-7][0-9a-z]{25}$"
OBSERVATION_ID_PATTERN = r"^mem_observation_[0-7][0-9a-z]{25}$"
SUMMARY_ID_PATTERN = r"^mem_summary_[0-7][0-9a-z]{25}$"
COMMUNICATION_ID_PATTERN = r"^conv_communication_[0-7][0-9a-z]{25}$"
PARTICIPANT_ID_PATTERN = r"^conv_participant_[0-7][0-9a-z]{25}$"

# components/parameters/SourceParam and the memories' `source`: letters, digits, space, _ . -
SOURCE_PATTERN = r"^[a-zA-Z0-9 _.-]+$"
# TraitGroupCore.displayName: the name a profile's traits are grouped under (1..64 characters).
TRAIT_GROUP_PATTERN = r"^[a-zA-Z0-9_\-\.]+$"

# RFC 3339 section 5.6 date-time (the spec's `format: date-time`): full date, "T" (RFC 3339
# allows "t" and, by its note, a space), full time with optional fraction, and an offset.
DATE_TIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
# RFC 3339 puts no bound on the fraction's digits; the spec none on the string. 64 characters
# leave room for 38 fractional digits (nanoseconds need 9), and keep a date-time, which no
# size budget can cut, from carrying 200,000 digits into an answer (issue 16 item 3).
DATE_TIME_MAX_LENGTH = 64
# What we send: RFC 3339's ABNF exactly, "T" (or "t") between date and time. The note of
# section 5.6 lets applications *show* a space; the API parses date-time strictly and answers
# 400 to one (as the emulator does), so the tools refuse it before the network. Answers are
# read with the more forgiving pattern above.
DATE_TIME_SEND_PATTERN = DATE_TIME_PATTERN.replace("[Tt ]", "[Tt]")
