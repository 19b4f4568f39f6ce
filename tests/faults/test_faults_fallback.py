"""Faults aimed at one interaction (`only=`): alias fallbacks, and retries with `FailFirst`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from llmring_replay import (
    ProviderAuthenticationError,
    ProviderRateLimitError,
    ProviderResponseError,
)
from llmring_replay.cassette import Interaction
from llmring_replay.clock import virtual_clock
from llmring_replay.faults import (
    Disconnect,
    FailFirst,
    ModelNotFound,
    RateLimit,
    StallBeforeFirstByte,
    Unauthorized,
    parse_faults,
)
from llmring_replay.lockfile import Lockfile
from llmring_replay.simulator import Script
from llmring_replay.transports import Fault
from tests.faults.recordings import Outcome, interaction, replaying, stream_outcome

BIG = "The big model answers at length."
SMALL = "The small model answers."
CHAIN = ["openai:gpt-4o", "openai:gpt-4o-mini"]


def lockfile(tmp_path: Path, models: list[str]) -> str:
    """An `llmring.lock` binding the alias `chatbot` to `models`, in order."""
    lock = Lockfile.create()
    lock.set_binding("chatbot", models)
    return str(lock.save(tmp_path / "llmring.lock"))


def recorded_chain(models: list[str]) -> list[Interaction]:
    """One recorded answer per model of the chain, the first one longer."""
    texts = [BIG, SMALL]
    return [
        interaction(ref.split(":")[0], ref.split(":")[1], Script(text=texts[index]))
        for index, ref in enumerate(models)
    ]


async def run_chain(
    tmp_path: Path, faults: list[Fault], models: list[str] = CHAIN
) -> tuple[Outcome, list[int]]:
    """Stream the alias with `faults`; the outcome and the interactions never requested."""
    ring, transport = replaying(recorded_chain(models), faults, lockfile=lockfile(tmp_path, models))
    with virtual_clock():
        outcome = await stream_outcome(ring, "chatbot")
    await ring.aclose()
    return outcome, transport.unplayed()


@pytest.mark.parametrize(
    "faults",
    [
        [RateLimit(retry_after=2, only="gpt-4o")],
        [RateLimit(retry_after=2, only="openai:gpt-4o")],
        [RateLimit(retry_after=2, only=0)],
        [RateLimit(retry_after=2, only=lambda context: context.index == 0)],
        parse_faults(["rate_limit:retry_after=2,only=gpt-4o"]),
    ],
    ids=["model", "provider:model", "index", "predicate", "spec"],
)
async def test_rate_limit_before_any_chunk_falls_back(tmp_path: Path, faults: list[Fault]) -> None:
    outcome, unplayed = await run_chain(tmp_path, faults)
    assert outcome.error is None
    assert outcome.text == SMALL
    assert set(outcome.models) == {"openai:gpt-4o-mini"}
    assert unplayed == []  # gpt-4o was asked (and answered 429), then gpt-4o-mini


@pytest.mark.parametrize(
    "fault",
    [ModelNotFound(only=0), StallBeforeFirstByte(60, only=0)],
    ids=["model_not_found", "timeout"],
)
async def test_other_failures_before_any_chunk_fall_back_too(tmp_path: Path, fault: Fault) -> None:
    outcome, unplayed = await run_chain(tmp_path, [fault])
    assert (outcome.error, outcome.text, unplayed) == (None, SMALL, [])


async def test_disconnect_after_chunks_raises_and_does_not_fall_back(tmp_path: Path) -> None:
    outcome, unplayed = await run_chain(tmp_path, [Disconnect(after=2, only="gpt-4o")])
    assert isinstance(outcome.error, ProviderResponseError)
    assert outcome.error.retryable
    # OpenAI frame 1 is the role delta, frame 2 the first word.
    assert outcome.text == "The"
    assert set(outcome.models) == {"openai:gpt-4o"}
    assert unplayed == [1]  # gpt-4o-mini was never asked


async def test_authentication_error_does_not_fall_back(tmp_path: Path) -> None:
    outcome, unplayed = await run_chain(tmp_path, [Unauthorized(only=0)])
    assert isinstance(outcome.error, ProviderAuthenticationError)
    assert (outcome.text, unplayed) == ("", [1])


async def test_fault_on_every_model_raises_the_last_error(tmp_path: Path) -> None:
    outcome, unplayed = await run_chain(tmp_path, [ModelNotFound(only=0), RateLimit(7, only=1)])
    assert isinstance(outcome.error, ProviderRateLimitError)
    assert outcome.error.retry_after == 7
    assert unplayed == []


async def test_a_disconnect_before_the_first_chunk_still_falls_back(tmp_path: Path) -> None:
    # Anthropic's first three frames carry no text: a cut after them loses no chunk.
    models = ["anthropic:claude-3-5-haiku-20241022", "openai:gpt-4o-mini"]
    outcome, unplayed = await run_chain(tmp_path, [Disconnect(after=3, only=0)], models)
    assert (outcome.error, outcome.text, unplayed) == (None, SMALL, [])


async def test_fail_first_then_the_recording_lets_a_retry_loop_succeed() -> None:
    ring, transport = replaying(
        [interaction("openai")], [FailFirst(2, RateLimit(retry_after=1.5))], allow_repeats=True
    )
    errors: list[ProviderRateLimitError] = []
    with virtual_clock() as loop:
        start = loop.time()
        for _ in range(5):
            outcome = await stream_outcome(ring, "openai:gpt-4o-mini")
            if not isinstance(outcome.error, ProviderRateLimitError):
                break
            errors.append(outcome.error)
            await asyncio.sleep(outcome.error.retry_after or 0)
        waited = loop.time() - start
    await ring.aclose()
    assert [error.retry_after for error in errors] == [1.5, 1.5]
    assert outcome.error is None
    assert outcome.text == "One two three four five six"
    assert waited == pytest.approx(3 + outcome.elapsed, abs=1e-3)
    assert transport.unplayed() == []
