"""The Memory API's id formats (spec components/parameters), checked wherever an id enters.

Ids are "Twilio Type IDs": a prefix, then 26 lowercase letters or digits, the first 0-7.
"""

from __future__ import annotations

STORE_ID_PATTERN = r"^mem_(store|service)_[0-7][0-9a-z]{25}$"
PROFILE_ID_PATTERN = r"^mem_profile_[0-7][0-9a-z]{25}$"
# The spec bounds idType to 2..30 characters; Twilio's limits page adds the charset.
ID_TYPE_PATTERN = r"^[A-Za-z0-9_-]{2,30}$"
