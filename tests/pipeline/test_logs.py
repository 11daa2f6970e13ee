"""Reading functions' logs: durations, Powertools lines, order across functions, and what is refused."""

from __future__ import annotations

import json

import pytest

from cli.commands.logs import log_line
from pipeline.errors import ServiceNotFound
from pipeline.flows.logs import LogQueryError, correlation_pattern, parse_since, record_of, service_functions


def powertools(message: str, when: str, **extra: object) -> str:
    return json.dumps({"level": "INFO", "location": "handler:1", "message": message, "timestamp": when,
                       "service": "location", "correlation_id": "c-1", **extra})


def test_durations_read_as_seconds() -> None:
    assert [parse_since(text) for text in ("30s", "15m", "2h", "1d", "1.5h")] == [30, 900, 7200, 86400, 5400]
    for bad in ("", "15", "m", "-5m", "15 minutes"):
        with pytest.raises(LogQueryError, match="is not a duration"):
            parse_since(bad)


def test_a_powertools_line_keeps_its_own_time_and_fields() -> None:
    record = record_of("local-location-get_location", {
        "timestamp": 1_800_000_000_000, "logStreamName": "s", "eventId": "1",
        "message": powertools("request handled", "2026-11-30 12:00:00,250+0000", status=200)})

    assert record.timestamp_ms == 1_796_040_000_250  # the line's time, not the batch's write time
    assert (record.level, record.correlation_id, record.text) == ("INFO", "c-1", "request handled")
    assert record.fields["status"] == 200


def test_a_plain_line_is_kept_as_it_is() -> None:
    record = record_of("f", {"timestamp": 5, "message": "START RequestId: r Version: 3\n", "eventId": "2"})

    assert (record.timestamp_ms, record.level, record.correlation_id) == (5, "", "")
    assert record.text == "START RequestId: r Version: 3"
    assert record_of("f", {"timestamp": 5, "message": "{not json", "eventId": "3"}).fields == {}


def test_a_line_renders_time_level_function_correlation_and_extra_fields() -> None:
    record = record_of("local-location-get_location", {
        "timestamp": 0, "eventId": "1", "message": powertools("request handled", "2026-11-30 12:00:00,250+0000",
                                                              status=200)})

    assert log_line(record, "local", colour=False).split() == [
        "12:00:00.250", "INFO", "location-get_location", "c-1", "request", "handled", "status=200"]
    assert "\033[32mINFO" in log_line(record, "local", colour=True)


def test_functions_come_from_the_manifest() -> None:
    assert service_functions("dev", "location") == ["dev-location-get_location", "dev-location-put_location"]
    assert service_functions("dev", "location", "get_location") == ["dev-location-get_location"]
    with pytest.raises(LogQueryError, match="has no function 'nope'"):
        service_functions("dev", "location", "nope")
    with pytest.raises(ServiceNotFound):
        service_functions("dev", "nowhere")


def test_only_plausible_correlation_ids_become_filter_patterns() -> None:
    assert correlation_pattern("3f2a-77") == '"3f2a-77"'
    for bad in ("", 'a" OR "b', "x" * 129):
        with pytest.raises(LogQueryError):
            correlation_pattern(bad)
