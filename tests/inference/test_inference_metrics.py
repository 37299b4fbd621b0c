"""The Prometheus exposition: valid text format, cumulative buckets, bounded labels."""

from __future__ import annotations

import pytest

from inference._metrics import BUCKETS, Metrics, path_label, render

INFO = {"version": "2.4.0", "model": "iris-logreg", "model_version": "1.0.0"}


def _rendered() -> str:
    m = Metrics()
    m.observe("/predict", 200, 0.003)
    m.observe("/predict", 200, 0.3)
    m.observe("/predict", 400, 20.0)
    m.observe("/ready?x=1", 503, 0.001)
    return render(m.snapshot(in_flight=2, model_loaded=True, info=INFO))


@pytest.mark.parametrize(
    "path, label",
    [
        pytest.param("/predict", "/predict", id="known"),
        pytest.param("/ready?verbose=1", "/ready", id="query-dropped"),
        pytest.param("/wp-admin.php", "other", id="unknown-bounded"),
        pytest.param("/", "other", id="root"),
    ],
)
def test_path_labels_are_bounded_to_known_endpoints(path: str, label: str) -> None:
    assert path_label(path) == label


def test_buckets_are_cumulative_and_end_with_inf_equal_to_count() -> None:
    lines = [x for x in _rendered().splitlines() if x.startswith("inference_request_duration")]
    predict = [x for x in lines if 'path="/predict"' in x and "_bucket" in x]
    counts = [int(x.rsplit(" ", 1)[1]) for x in predict]
    assert len(predict) == len(BUCKETS) + 1
    assert counts == sorted(counts)
    assert counts[0] == 1  # 3 ms fits the 5 ms bucket
    assert predict[-1] == 'inference_request_duration_seconds_bucket{path="/predict",le="+Inf"} 3'
    assert counts[-2] == 2  # 20 s is above the largest finite bucket
    assert 'inference_request_duration_seconds_count{path="/predict"} 3' in lines


def test_every_family_has_help_and_type_and_the_text_ends_with_newline() -> None:
    text = _rendered()
    assert text.endswith("\n")
    for name, kind in [
        ("inference_requests_total", "counter"),
        ("inference_request_duration_seconds", "histogram"),
        ("inference_in_flight_requests", "gauge"),
        ("inference_model_loaded", "gauge"),
    ]:
        assert f"# TYPE {name} {kind}\n" in text
        assert f"# HELP {name} " in text
    assert "inference_in_flight_requests 2\n" in text
    assert "inference_model_loaded 1\n" in text
    assert 'inference_requests_total{path="/ready",code="503"} 1\n' in text


def test_the_official_parser_reads_every_sample() -> None:
    parser = pytest.importorskip("prometheus_client.parser")
    families = {f.name: f for f in parser.text_string_to_metric_families(_rendered())}
    requests = {
        (s.labels["path"], s.labels["code"]): s.value
        for s in families["inference_requests"].samples
    }
    assert requests == {("/predict", "200"): 2, ("/predict", "400"): 1, ("/ready", "503"): 1}
    hist = families["inference_request_duration_seconds"]
    assert hist.type == "histogram"
    total = [s for s in hist.samples if s.name.endswith("_sum") and s.labels["path"] == "/predict"]
    assert total[0].value == pytest.approx(20.303)


def test_label_values_are_escaped() -> None:
    m = Metrics()
    text = render(m.snapshot(in_flight=0, model_loaded=False, info={"version": 'a"b\\c\nd'}))
    assert 'inference_build_info{version="a\\"b\\\\c\\nd"} 1' in text
