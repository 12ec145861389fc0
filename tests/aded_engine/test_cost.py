from aded_engine.cost import (AcceptanceCalibration, CostCurve, cached_cost_curve, choose_nodes,
                              curve_from_timings, drafting_can_pay, evidence_level,
                              physical_curve)
from aded_engine.search import DraftTree

# ms per llama_decode of n rows as measured on a CPU: each row adds about half a one-row call
CPU = CostCurve([1, 2, 4, 8, 16], [13.5, 25.7, 38.0, 62.9, 113.7])
GPU = CostCurve([1, 64], [10.0, 11.0])  # nearly flat, as on a GPU

CHAIN = DraftTree([1, 2, 3, 4], [-1, 0, 1, 2], [0.5, 0.5, 0.5, 0.5])


def test_cpu_curve_refuses_unlikely_drafts_gpu_takes_them():
    cal = AcceptanceCalibration(optimism=0.0)
    cpu_tree, _ = choose_nodes(CHAIN, CPU, cal)
    gpu_tree, expected = choose_nodes(CHAIN, GPU, cal)
    assert len(cpu_tree) == 0
    assert len(gpu_tree) == 4 and expected > 1.9


def test_cpu_curve_takes_a_near_certain_copy():
    copy = DraftTree([1, 2, 3, 4, 5, 6], list(range(-1, 5)), [1.0] * 6)
    cal = AcceptanceCalibration()
    for _ in range(100):
        cal.observe(0.99, 0, True)
    tree, expected = choose_nodes(copy, CPU, cal)
    assert len(tree) >= 3 and expected > 3.5


def test_nodes_taken_by_path_probability_form_a_tree():
    tree = DraftTree([1, 2, 3, 4], [-1, -1, 0, 2], [0.9, 0.05, 0.9, 0.9])
    chosen, _ = choose_nodes(tree, GPU, AcceptanceCalibration(optimism=0.0), max_nodes=3)
    assert chosen.tokens == [1, 3, 4] and chosen.parents == [-1, 0, 1]


def test_calibration_learns_from_outcomes():
    cal = AcceptanceCalibration()
    assert abs(cal.mean(0.95) - 0.95) < 1e-9
    assert cal.calibrated(0.5) == 0.8  # untried: optimistic, so it gets tried
    for _ in range(50):
        cal.observe(0.95, 0, False)
    assert cal.mean(0.95) < 0.1 and cal.calibrated(0.95) < 0.15
    assert not drafting_can_pay(0.95, 0, CPU, cal, 8)
    assert drafting_can_pay(0.95, 0, GPU, AcceptanceCalibration(), 8)


def test_calibration_keeps_evidence_levels_apart():
    """Drafts with the same table estimate but different evidence learn separately: a
    successor the conversation is copying can be trusted while a guess is not."""
    cal = AcceptanceCalibration(optimism=0.0)
    for _ in range(40):
        cal.observe(0.5, 12, True)  # 12 tokens of earlier text end here: accepted
        cal.observe(0.5, 0, False)  # never seen after this context: rejected
    assert cal.mean(0.5, 12) > 0.9 and cal.mean(0.5, 0) < 0.1
    assert cal.mean(0.5, 3) == 0.5  # another level: still its prior
    assert [evidence_level(n) for n in (0, 2, 3, 4, 5, 6, 7, 8, 11, 12, 40)] == \
        [0, 0, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_cost_curve_follows_observations():
    curve = CostCurve([1, 8], [10.0, 40.0])
    for _ in range(200):
        curve.observe(8, 80.0)
    assert 19 < curve.single_token_ms < 21


def test_cached_curve_is_remeasured_when_the_machine_disagrees(demo_model_path, tmp_path):
    import json

    from aded_engine.backend import BackendSettings, LlamaBackend
    from aded_engine.cost import cached_cost_curve

    backend = LlamaBackend(demo_model_path, BackendSettings(n_ctx=256, n_threads=2))
    cache = tmp_path / "cost.json"
    # as if measured while the cores were very busy: one row "took" 60 s (far enough from
    # any real measurement that a loaded test machine cannot make it look right)
    cache.write_text(json.dumps({"k": {"sizes": [1, 2], "ms": [60000.0, 120000.0]}}))
    curve = cached_cost_curve(backend, cache, "k", sizes=(1, 2, 4))
    assert curve.sizes == [1, 2, 4] and curve.ms[0] < 1000
    assert json.loads(cache.read_text())["k"]["sizes"] == [1, 2, 4]
    again = cached_cost_curve(backend, cache, "k", sizes=(1, 2, 4))
    assert again.ms == curve.ms  # agrees with the machine: the cache is used
    backend.close()


def test_a_cached_curve_off_by_a_few_times_is_rescaled_not_measured_again(demo_model_path,
                                                                          tmp_path):
    import json

    from aded_engine.backend import BackendSettings, LlamaBackend
    from aded_engine.cost import cached_cost_curve

    backend = LlamaBackend(demo_model_path, BackendSettings(n_ctx=256, n_threads=2))
    cache = tmp_path / "cost.json"
    cache.write_text(json.dumps({"k": {"sizes": [1, 2], "ms": [60000.0, 90000.0]}}))
    # "a few times": here any factor, so that a loaded test machine cannot change the case
    curve = cached_cost_curve(backend, cache, "k", sizes=(1, 2, 4), agree=1.0, rescale=1e9)
    assert curve.sizes == [1, 2] and curve.ms == [60000.0, 90000.0]  # nothing re-measured
    assert curve.single_token_ms < 1000 and curve.relative(2) == 1.5  # today's scale, its shape
    assert json.loads(cache.read_text())["k"]["ms"] == [60000.0, 90000.0]
    backend.close()


def test_a_curve_is_held_to_what_batching_can_cost():
    # noise made 2 rows cheaper than 1 and a busy spell made 8 rows dearer than 8 calls
    curve = physical_curve([1, 2, 4, 8], [20.0, 18.0, 45.0, 400.0])
    assert curve.ms == [20.0, 20.0, 45.0, 160.0]


def test_timings_that_scatter_make_an_unsteady_curve():
    quiet = curve_from_timings([1, 2, 4], [[10.0, 10.5, 10.2], [14.0, 14.1, 15.0], [20, 21, 20]])
    busy = curve_from_timings([1, 2, 4], [[10.0, 31.0, 25.0], [14.0, 50.0, 30.0], [20, 21, 60]])
    assert quiet.steady and not busy.steady
    assert busy.ms == [10.0, 14.0, 20.0]  # the fastest of each size still shapes the curve


def test_an_unsteady_curve_is_used_but_never_cached(demo_model_path, tmp_path):
    from aded_engine.backend import BackendSettings, LlamaBackend

    def busy_machine(_backend, sizes):
        curve = CostCurve(list(sizes), [60.0] * len(sizes))  # flat, as measured under load
        curve.steady = False
        return curve

    backend = LlamaBackend(demo_model_path, BackendSettings(n_ctx=256, n_threads=2))
    cache = tmp_path / "cost.json"
    curve = cached_cost_curve(backend, cache, "k", sizes=(1, 2), measure=busy_machine)
    assert curve.ms == [60.0, 60.0] and not cache.exists()
    backend.close()


def test_fresh_drops_the_cached_curve_and_measures_again(demo_model_path, tmp_path):
    import json

    from aded_engine.backend import BackendSettings, LlamaBackend

    def busy_machine(_backend, sizes):
        curve = CostCurve(list(sizes), [60.0] * len(sizes))
        curve.steady = False
        return curve

    backend = LlamaBackend(demo_model_path, BackendSettings(n_ctx=256, n_threads=2))
    cache = tmp_path / "cost.json"
    flat = {"sizes": [1, 2], "ms": [61.8, 61.8]}  # agrees with no machine's spot check
    cache.write_text(json.dumps({"k": flat, "other": flat}))
    curve = cached_cost_curve(backend, cache, "k", sizes=(1, 2, 4), agree=1e9, fresh=True,
                              measure=lambda b, sizes: CostCurve(list(sizes), [9.0, 12.0, 20.0]))
    assert curve.ms == [9.0, 12.0, 20.0]  # measured, though the cached one would "agree"
    assert json.loads(cache.read_text()) == {"k": curve.to_json(), "other": flat}
    cached_cost_curve(backend, cache, "k", sizes=(1, 2), fresh=True, measure=busy_machine)
    assert json.loads(cache.read_text()) == {"other": flat}  # dropped, the busy one not saved
    backend.close()


def test_take_changes_the_curve_its_holders_see():
    held = CostCurve([1, 8], [10.0, 40.0], scale=2.0)
    held.take(CostCurve([1, 4], [5.0, 10.0]))
    assert (held.sizes, held.ms, held.scale, held.predict(4)) == ([1, 4], [5.0, 10.0], 1.0, 10.0)
