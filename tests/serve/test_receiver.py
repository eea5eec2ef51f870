"""The OTLP receiver on loopback: HTTP/protobuf, HTTP/JSON, gzip, gRPC, and bad requests."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from branchscope.serve import (
    BadRequest,
    OtlpReceiver,
    RequestSink,
    decode_request,
    to_json_line,
    to_span_records,
)
from branchscope.traces import load_traces, read_spans
from branchscope.tracing import to_readable_span

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "traces" / "seed-race.jsonl"


def _post(url: str, body: bytes, content_type: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": content_type, **headers}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _protobuf_body() -> bytes:
    spans, _ = read_spans(EXAMPLE)
    return encode_spans([to_readable_span(s) for s in spans]).SerializeToString()


def test_http_json_and_protobuf_bodies_both_land_in_the_file(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    sink = RequestSink(out)
    with OtlpReceiver(sink, http_port=0, grpc_port=None) as receiver:
        url = receiver.http_endpoint + "/v1/traces"
        line = EXAMPLE.read_text().splitlines()[0]  # OTLP/JSON as the file exporter writes it
        assert _post(url, line.encode(), "application/json") == (200, b"{}")
        status, _ = _post(
            url,
            gzip.compress(_protobuf_body()),
            "application/x-protobuf",
            **{"Content-Encoding": "gzip"},
        )
        assert status == 200
    sink.close()
    assert sink.requests == 2
    first, second = out.read_text().splitlines()
    assert json.loads(first) == json.loads(line)  # hex ids and all, the same document
    spans, _ = read_spans(EXAMPLE)
    from_json = len(json.loads(line)["resourceSpans"][0]["scopeSpans"][0]["spans"])
    assert sink.spans == from_json + len(spans)
    assert len(read_spans(out)[0]) == sink.spans
    assert {s.span_id for s in spans} <= {s.span_id for s in read_spans(out)[0]}
    assert json.loads(second)["resourceSpans"]
    assert load_traces([out]).problems == ()


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "must be a JSON object"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
            "application/json",
            "traceId 'zz' is not hex",
        ),
        (b"\xff\xff\xff", "application/x-protobuf", "not an OTLP protobuf trace request"),
        (b"hello", "text/plain", "unsupported Content-Type"),
    ],
)
def test_bad_bodies_get_400_with_the_reason(body: bytes, content_type: str, message: str) -> None:
    sink = RequestSink()
    with OtlpReceiver(sink, http_port=0, grpc_port=None) as receiver:
        status, answer = _post(receiver.http_endpoint + "/v1/traces", body, content_type)
    assert status == 400
    assert message in answer.decode()
    assert sink.requests == 0


def test_other_paths_are_404() -> None:
    with OtlpReceiver(RequestSink(), http_port=0, grpc_port=None) as receiver:
        status, answer = _post(receiver.http_endpoint + "/v1/metrics", b"", "application/json")
    assert status == 404 and b"/v1/traces" in answer


def test_received_spans_become_the_same_records() -> None:
    spans, _ = read_spans(EXAMPLE)
    request = decode_request(_protobuf_body(), "application/x-protobuf")
    records = to_span_records(request, source="otlp")
    key = lambda s: s.span_id  # noqa: E731
    for got, want in zip(sorted(records, key=key), sorted(spans, key=key), strict=True):
        assert got.name == want.name and got.parent_span_id == want.parent_span_id
        assert dict(got.attributes) == dict(want.attributes)
        assert got.links == want.links and got.events == want.events
        assert (got.status, got.start_ns, got.end_ns) == (want.status, want.start_ns, want.end_ns)


_ids = st.binary(min_size=8, max_size=8)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.binary(min_size=16, max_size=16), _ids, st.text(max_size=12)),
        min_size=1,
        max_size=5,
    )
)
def test_json_lines_round_trip_any_request(spans: list[tuple[bytes, bytes, str]]) -> None:
    document = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {"traceId": t.hex(), "spanId": s.hex(), "name": n, "kind": 1}
                            for t, s, n in spans
                        ]
                    }
                ]
            }
        ]
    }
    request = decode_request(json.dumps(document).encode(), "application/json")
    assert [
        (s.trace_id, s.span_id, s.name) for s in request.resource_spans[0].scope_spans[0].spans
    ] == spans
    again = decode_request(to_json_line(request).encode(), "application/json")
    assert again == request


def test_bad_compression_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="not valid gzip"):
        decode_request(b"plain", "application/x-protobuf", "gzip")
