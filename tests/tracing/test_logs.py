"""With tracing enabled, log lines carry the current span's ids next to the request id."""

from __future__ import annotations

import json
import logging

import pytest
from loguru import logger
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from tests.conftest import settings_with
from tests.logs import process_log


@pytest.fixture
def traced(settings):
    return settings_with(settings, tracing_enabled=True)


def _span_ids(span: trace.Span) -> tuple[str, str]:
    ids = span.get_span_context()
    return trace.format_trace_id(ids.trace_id), trace.format_span_id(ids.span_id)


def test_text_lines_show_trace_and_span_ids_and_a_dash_outside_any_span(traced):
    tracer = TracerProvider().get_tracer("test")  # any SDK span will do: the ids are the point
    with process_log(traced, json_lines=False) as log:
        with logger.contextualize(request_id="req-1"), tracer.start_as_current_span("unit") as span:
            logger.info("inside")
        logger.info("outside")
    inside, outside = log.text.splitlines()
    trace_id, span_id = _span_ids(span)
    assert f" | req-1 | trace_id={trace_id} span_id={span_id} | " in inside
    assert " | - | trace_id=- span_id=- | " in outside
    assert log.messages("req-1") == ["inside"]


def test_json_lines_carry_trace_and_span_ids_in_extra(traced):
    tracer = TracerProvider().get_tracer("test")
    with process_log(traced, json_lines=True) as log:
        with logger.contextualize(request_id="req-2"), tracer.start_as_current_span("unit") as span:
            logger.info("inside")
        logger.info("outside")
    inside, outside = (json.loads(line)["record"]["extra"] for line in log.text.splitlines())
    trace_id, span_id = _span_ids(span)
    assert inside == {"request_id": "req-2", "trace_id": trace_id, "span_id": span_id}
    assert outside == {"request_id": "-", "trace_id": "-", "span_id": "-"}


def test_untraced_processes_log_no_trace_fields(settings):
    tracer = TracerProvider().get_tracer("test")
    with process_log(settings, json_lines=True) as log, tracer.start_as_current_span("unit"):
        logger.info("inside")
    assert json.loads(log.text)["record"]["extra"] == {"request_id": "-"}


def test_stdlib_records_routed_into_loguru_carry_the_ids_too(traced):
    tracer = TracerProvider().get_tracer("test")
    with process_log(traced, json_lines=True) as log, tracer.start_as_current_span("unit") as span:
        logging.getLogger("sqlalchemy").warning("from the standard library")
    trace_id, span_id = _span_ids(span)
    extra = json.loads(log.text)["record"]["extra"]
    assert (extra["trace_id"], extra["span_id"]) == (trace_id, span_id)
