"""The table reader the scenarios assert with: columns cut where kubectl's header puts them."""

from __future__ import annotations

import pytest
from scenario_kubectl import parse_table, restarts

PODS = """\
NAME                                 READY   STATUS             RESTARTS      AGE
inference-service-7b555cbd69-nc86w   1/1     Running            0             54s
inference-service-7b555cbd69-s8mgc   0/1     CrashLoopBackOff   3 (10s ago)   54s
"""

HPA_WATCH = """\
NAME                REFERENCE                      TARGETS              MINPODS   MAXPODS   REPLICAS   AGE
inference-service   Deployment/inference-service   cpu: <unknown>/70%   2         10        0          0s
inference-service   Deployment/inference-service   cpu: 12%/70%         2         10        3          15s
"""


@pytest.mark.parametrize(
    "text, row, column, cell",
    [
        pytest.param(PODS, 0, "STATUS", "Running", id="status"),
        pytest.param(PODS, 1, "RESTARTS", "3 (10s ago)", id="restarts-with-spaces"),
        pytest.param(PODS, 1, "AGE", "54s", id="last-column"),
        pytest.param(HPA_WATCH, 0, "TARGETS", "cpu: <unknown>/70%", id="hpa-unknown"),
        pytest.param(HPA_WATCH, 1, "TARGETS", "cpu: 12%/70%", id="hpa-percent"),
        pytest.param(HPA_WATCH, 1, "REPLICAS", "3", id="hpa-replicas"),
    ],
)
def test_cells_are_read_under_their_header(text: str, row: int, column: str, cell: str) -> None:
    assert parse_table(text)[row][column] == cell


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("No resources found in lab namespace.\n", id="no-resources"),
    ],
)
def test_output_without_a_table_has_no_rows(text: str) -> None:
    assert parse_table(text) == []


def test_a_repeated_header_is_not_a_row() -> None:
    header = PODS.splitlines()[0]
    assert len(parse_table(PODS + header + "\n")) == 2


@pytest.mark.parametrize(
    "cell, count",
    [
        pytest.param("0", 0, id="zero"),
        pytest.param("3 (10s ago)", 3, id="with-age"),
        pytest.param("12 (2m5s ago)", 12, id="two-digits"),
    ],
)
def test_restarts_reads_the_count(cell: str, count: int) -> None:
    assert restarts(cell) == count
