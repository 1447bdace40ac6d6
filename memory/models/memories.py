"""Memories: observations, conversation summaries and communications.

Recall (CreateFetchProfileMemory) answers with all three, ranked when it had a query;
ListProfileObservations and ListProfileConversationSummaries page through the first two.
Schemas: MemoryRetrievalRequest/Response, (Recall)ObservationInfo, (Recall)SummaryInfo,
Communication, Participant, ObservationsMeta.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from memory.ids import (
    COMMUNICATION_ID_PATTERN,
    CONVERSATION_ID_PATTERN,
    DATE_TIME_MAX_LENGTH,
    DATE_TIME_PATTERN,
    OBSERVATION_ID_PATTERN,
    PARTICIPANT_ID_PATTERN,
    PROFILE_ID_PATTERN,
    SOURCE_PATTERN,
    SUMMARY_ID_PATTERN,
)

Timestamp = Annotated[str, Field(max_length=DATE_TIME_MAX_LENGTH, pattern=DATE_TIME_PATTERN)]
ConversationId = Annotated[str, Field(pattern=CONVERSATION_ID_PATTERN)]
Content = Annotated[str, Field(min_length=1, max_length=4096)]
Source = Annotated[str, Field(min_length=1, max_length=100, pattern=SOURCE_PATTERN)]
Score = Annotated[float, Field(ge=0, le=1)]
Limit = Annotated[int, Field(ge=0, le=100)]  # how many memories of a kind Recall may return
# An enumerated value (channel, participant type, delivery status), read as a short token.
Token = Annotated[str, Field(max_length=32)]
PageToken = Annotated[str, Field(min_length=1, max_length=4096)]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, defer_build=True)


class Observation(_Body):
    """ObservationInfo: a transient, mutable memory about the profile (only ids and times required)."""

    id: str = Field(pattern=OBSERVATION_ID_PATTERN)
    content: Content | None = None
    source: Source | None = None
    occurred_at: Timestamp | None = Field(default=None, alias="occurredAt")
    conversation_ids: tuple[ConversationId, ...] = Field(default=(), alias="conversationIds", max_length=10)
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


class RecallObservation(Observation):
    """RecallObservationInfo: an observation as Recall returns it, with content and a score."""

    content: Content
    source: Source
    occurred_at: Timestamp = Field(alias="occurredAt")
    score: Score | None = None  # omitted when results come most recent first


class Summary(_Body):
    """SummaryInfo: a summary of one conversation (source has no minimum length here)."""

    id: str = Field(pattern=SUMMARY_ID_PATTERN)
    conversation_id: ConversationId = Field(alias="conversationId")
    content: Content
    source: Annotated[str, Field(max_length=100, pattern=SOURCE_PATTERN)] | None = None
    occurred_at: Timestamp = Field(alias="occurredAt")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")


class RecallSummary(Summary):
    """RecallSummaryInfo: a summary as Recall returns it, with a score."""

    score: Score | None = None


class Participant(_Body):
    """Participant (and a Communication's recipients): who wrote or received a message."""

    id: str = Field(pattern=PARTICIPANT_ID_PATTERN)
    name: str = Field(max_length=256)
    address: str = Field(max_length=254)
    channel: Token
    type: Token | None = None
    profile_id: str | None = Field(default=None, alias="profileId", pattern=PROFILE_ID_PATTERN)
    delivery_status: Token | None = Field(default=None, alias="deliveryStatus")


class CommunicationContent(_Body):
    text: str | None = Field(default=None, max_length=8_388_608)


class Communication(_Body):
    """Communication: one message of the conversation at hand (Recall's session memory)."""

    id: str = Field(pattern=COMMUNICATION_ID_PATTERN)
    author: Participant
    content: CommunicationContent
    recipients: tuple[Participant, ...] = Field(max_length=100)
    channel_id: str | None = Field(default=None, alias="channelId", max_length=256)
    created_at: Timestamp | None = Field(default=None, alias="createdAt")
    updated_at: Timestamp | None = Field(default=None, alias="updatedAt")


class RecallRequest(BaseModel):
    """MemoryRetrievalRequest. Unset fields are left out of the body, so Twilio's defaults apply
    (observations 20, summaries 5, communications 0; a query inferred from the conversation).
    Built by us, never parsed: the camelCase names are for serialization only."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    conversation_id: ConversationId | None = Field(default=None, serialization_alias="conversationId")
    query: str | None = Field(default=None, max_length=1024)
    begin_date: Timestamp | None = Field(default=None, serialization_alias="beginDate")
    end_date: Timestamp | None = Field(default=None, serialization_alias="endDate")
    communications_limit: Limit | None = Field(default=None, serialization_alias="communicationsLimit")
    observations_limit: Limit | None = Field(default=None, serialization_alias="observationsLimit")
    summaries_limit: Limit | None = Field(default=None, serialization_alias="summariesLimit")
    relevance_threshold: Score | None = Field(default=None, serialization_alias="relevanceThreshold")

    def body(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class RecallMeta(_Body):
    query_time: int = Field(alias="queryTime", ge=0, le=600_000)  # milliseconds


class RecallResult(_Body):
    """MemoryRetrievalResponse: the memories recalled, by kind (all four fields required)."""

    observations: tuple[RecallObservation, ...] = Field(max_length=100)
    summaries: tuple[RecallSummary, ...] = Field(max_length=100)
    communications: tuple[Communication, ...] = Field(max_length=100)
    meta: RecallMeta


class ListMeta(_Body):
    """ObservationsMeta: paging for both lists; no ``nextToken`` on the last page."""

    key: str | None = Field(default=None, max_length=64)
    page_size: int | None = Field(default=None, alias="pageSize", ge=1, le=50)
    next_token: PageToken | None = Field(default=None, alias="nextToken")
    previous_token: PageToken | None = Field(default=None, alias="previousToken")


class ObservationPage(_Body):
    """ListProfileObservations 200: up to 50 observations and the paging meta."""

    observations: tuple[Observation, ...] = Field(default=(), max_length=50)
    meta: ListMeta = Field(default_factory=ListMeta)


class SummaryPage(_Body):
    """ListProfileConversationSummaries 200: up to 50 summaries and the paging meta."""

    summaries: tuple[Summary, ...] = Field(default=(), max_length=50)
    meta: ListMeta = Field(default_factory=ListMeta)
