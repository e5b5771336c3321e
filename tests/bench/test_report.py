"""The bench's arithmetic and written forms: no load is driven here."""

import json
import math

import pytest

from app.bench.open_loop import OpenLoop
from app.bench.plot import write_plot
from app.bench.profile import parse_collapsed, self_by_package, top_inclusive, top_self
from app.bench.quantities import chart_cpu_limit, cpu_cores
from app.bench.report import (
    REFERENCE_RPS_PER_VCPU,
    TARGETS,
    lookup,
    markdown_table,
    paired_ratio,
    percentile,
    profile_text,
    ratio,
    require_no_errors,
    require_statuses,
    size_for_target,
    sizing_text,
)
from app.bench.scenarios import OPEN_LOOP_FRACTIONS, open_loop_client_prefix
from app.bench.wrk import parse_result
from ticketing.web.inputs import CLIENT_ID_RE


def test_percentile_is_nearest_rank():
    values = [float(value) for value in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0


def test_percentile_of_nothing_is_none_and_bad_rank_is_refused():
    assert percentile([], 99) is None
    with pytest.raises(ValueError, match="percentile must be in"):
        percentile([1.0], 0)


def test_ratio_needs_a_measured_ceiling():
    assert ratio(5_000, 20_000) == 0.25
    assert ratio(5_000, 0) is None
    assert ratio(None, 20_000) is None


def test_sizing_for_fifty_thousand_rps():
    sizing = size_for_target(rps=4_000, cores=1, vcpus_per_pod=2)
    # 50,000 / (4,000 * 0.8) = 15.6 -> 16 vCPUs -> 8 pods of 2 vCPU
    assert (sizing.rps_per_vcpu, sizing.vcpus, sizing.pods) == (4_000, 16, 8)
    assert sizing.multiple_of_reference == 4_000 / REFERENCE_RPS_PER_VCPU
    assert sizing.reference_vcpus == math.ceil(50_000 / (500 * 0.8)) == 125


def test_sizing_divides_by_server_cores():
    assert size_for_target(rps=10_000, cores=2, vcpus_per_pod=1).rps_per_vcpu == 5_000


@pytest.mark.parametrize("rps, cores, per_pod", [(0, 1, 1), (100, 0, 1), (100, 1, 0)])
def test_sizing_refuses_non_positive_inputs(rps, cores, per_pod):
    with pytest.raises(ValueError, match="must be positive"):
        size_for_target(rps, cores, per_pod)


def test_sizing_text_compares_with_the_reference():
    text = sizing_text(size_for_target(rps=2_500, cores=1, vcpus_per_pod=1), cores=1)
    assert "5.0x the reference 500 rps per vCPU" in text
    assert "25 vCPUs = 25 pods" in text
    assert "reference rate would need 125 vCPUs" in text


def test_lookup_follows_dotted_keys_and_misses_to_none():
    results = {"enqueue": {"rps": 1.5}, "cores": 1}
    assert lookup(results, "enqueue.rps") == 1.5
    assert lookup(results, "cores") == 1
    assert lookup(results, "enqueue.p99_ms") is None
    assert lookup(results, "cores.rps") is None


def test_markdown_marks_targets_met_missed_and_unmeasured():
    results = {
        "ceiling": {"rps": 20_000.0},
        "enqueue": {"rps": 12_000.0, "ratio_to_ceiling": 0.6, "p99_ms_at_80pct_load": 80.0},
        "booking": {"oversold": 0},
        "websocket": {"push_p99_ms": 400.0, "missed_pushes": 3},
    }
    rows = {
        line.split(" | ")[0].lstrip("| "): line for line in markdown_table(results).splitlines()
    }
    assert rows["queue entry / ceiling (median of paired rounds)"].endswith(
        "| 0.60 | >= 0.5 | yes |"
    )
    assert rows["queue entry p99 ms at 80% load"].endswith("| 80.00 | < 50 ms | no |")
    assert rows["oversold seats"].endswith("| 0 | = 0 | yes |")
    assert rows["connected clients the push never reached"].endswith("| 3 | = 0 | no |")
    assert rows["position reads / ceiling (median of paired rounds)"].endswith(
        "| not measured | >= 0.7 | not measured |"
    )
    assert rows["ceiling (bare ASGI) rps"].startswith("| ceiling (bare ASGI) rps | 20,000 |")


def test_every_target_names_a_row_of_the_table():
    table = markdown_table({})
    assert table.count("| not measured | ") >= len(TARGETS)


def test_wrk_result_line_is_parsed_into_milliseconds():
    line = {
        "requests": 50_000,
        "duration_us": 10_000_000,
        "connect_errors": 0,
        "read_errors": 1,
        "write_errors": 0,
        "status_errors": 3,
        "timeouts": 2,
        "p50_us": 1500,
        "p90_us": 4000,
        "p99_us": 12_500,
        "max_us": 40_000,
        "statuses": {"201": 10, "409": 5},
    }
    result = parse_result("Running 10s test\nWRK_JSON " + json.dumps(line) + "\n")
    assert result.rps == 5_000
    assert (result.p50_ms, result.p99_ms, result.max_ms) == (1.5, 12.5, 40.0)
    assert result.errors == {"connect": 0, "read": 1, "write": 0, "status": 3, "timeout": 2}
    assert result.statuses == {201: 10, 409: 5}


def test_wrk_output_without_the_result_line_is_an_error():
    with pytest.raises(RuntimeError, match="no WRK_JSON line"):
        parse_result("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_profile_shares_count_self_and_inclusive_time():
    stacks = parse_collapsed("main;handle;redis_call 6\nmain;handle;dumps 3\nmain;idle 1\n")
    assert top_self(stacks)[0] == ("redis_call", 0.6)
    inclusive = dict(top_inclusive(stacks))
    assert inclusive["main"] == 1.0
    assert inclusive["handle"] == 0.9


def test_profile_refuses_lines_that_are_not_collapsed_stacks():
    with pytest.raises(ValueError, match="not a collapsed-stack line"):
        parse_collapsed("main;handle\n")


def test_profile_self_time_adds_up_by_package():
    stacks = parse_collapsed(
        "run (asyncio/runners.py);matches (starlette/routing.py) 3\n"
        "run (asyncio/runners.py);observe (prometheus_client/metrics.py) 1\n"
        "run (asyncio/runners.py);__init__ (starlette/requests.py) 4\n"
    )
    assert self_by_package(stacks) == [("starlette", 0.875), ("prometheus_client", 0.125)]


def test_profile_text_lists_packages_by_share():
    text = profile_text({"enqueue": {"self_by_package": [("starlette", 0.41), ("redis", 0.2)]}})
    assert "- enqueue: starlette 41%, redis 20%" in text


@pytest.mark.parametrize("quantity, cores", [("500m", 0.5), ("1", 1.0), (2, 2.0), ("1500m", 1.5)])
def test_cpu_quantities(quantity, cores):
    assert cpu_cores(quantity) == cores


@pytest.mark.parametrize("quantity", ["lots", "0", "-1"])
def test_bad_cpu_quantities_are_refused(quantity):
    with pytest.raises(ValueError, match="CPU quantity"):
        cpu_cores(quantity)


def test_pod_cpu_comes_from_the_chart_limit(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("resources:\n  requests:\n    cpu: 250m\n  limits:\n    cpu: 1500m\n")
    assert chart_cpu_limit(values) == 1.5
    assert chart_cpu_limit(tmp_path / "absent.yaml", fallback=1.0) == 1.0


def test_samples_without_a_python_frame_are_named_so():
    root = 'process 42:"python serve"'
    stacks = parse_collapsed(f"{root} 1\n{root};run (asyncio/runners.py) 3\n")
    assert dict(self_by_package(stacks)) == {"asyncio": 0.75, "(no Python frame)": 0.25}


def test_the_ratio_to_the_ceiling_is_the_median_of_paired_rounds():
    # a slow spell halves both runs of the second pair; pairing cancels it, best-over-best would not
    assert paired_ratio([10_000, 5_000, 11_000], [20_000, 10_000, 25_000]) == 0.5
    assert paired_ratio([10_000, 9_000], [20_000, 0]) == 0.5, "a pair without a ceiling is left out"
    assert paired_ratio([], []) is None


def test_the_plot_is_written_for_a_full_run_and_for_one_that_stopped_after_the_ceiling(tmp_path):
    full = {
        "cores": 1,
        "ceiling": {"rps": 30_000.0},
        "enqueue": {
            "rps": 15_000.0,
            "p50_ms": 3.0,
            "p99_ms": 6.0,
            "p99_ms_at_80pct_load": 2.5,
            "open_loop": [
                {"achieved_rps": 7_000.0, "p50_ms": 1.3, "p99_ms": 2.4},
                {"achieved_rps": 11_000.0, "p50_ms": 1.6, "p99_ms": 2.9},
            ],
        },
        "websocket": {"push_p99_ms": 700.0},
    }
    for name, results in (
        ("full", full),
        ("ceiling-only", {"cores": 1, "ceiling": {"rps": 30_000.0}}),
    ):
        path = tmp_path / f"{name}.png"
        write_plot(results, path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_a_load_answered_with_anything_but_the_measured_statuses_stops_the_bench():
    require_statuses({"201": 900, "200": 100}, "queue entry")
    require_statuses({201: 10, 409: 5000}, "the race", frozenset({201, 409}))
    with pytest.raises(RuntimeError, match=r"queue entry at 80% load answered \{'400': 64184\}"):
        require_statuses({"400": 64184}, "queue entry at 80% load")
    with pytest.raises(RuntimeError, match="answered nothing"):
        require_statuses({}, "queue entry")
    with pytest.raises(RuntimeError, match="the hot slot"):
        require_statuses({201: 10, 409: 1}, "holds on the hot slot", frozenset({201}))


def test_a_wrk_run_with_status_or_socket_errors_stops_the_bench():
    require_no_errors({"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}, "position")
    with pytest.raises(RuntimeError, match=r"position under wrk had errors \{'status': 12\}"):
        require_no_errors(
            {"connect": 0, "read": 0, "write": 0, "status": 12, "timeout": 0}, "position under wrk"
        )


@pytest.mark.parametrize("fraction", OPEN_LOOP_FRACTIONS)
def test_open_loop_clients_have_ids_the_app_accepts(fraction):
    generator = OpenLoop(
        "/api/v1/events/e/queue", open_loop_client_prefix("0a1b2c3d", fraction), "127.0.0.1"
    )
    request = generator.request().decode()
    client_id = request.split("X-Client-Id: ")[1].split("\r\n")[0]
    assert CLIENT_ID_RE.match(client_id), client_id
