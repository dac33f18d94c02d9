"""The stage scheduler: a DAG run up to ``jobs`` stages at once.

The notebooks are replaced by a fake executor (sleeps, writes its outputs the
way a notebook's Bundle does) so these tests check the scheduling itself in a
few seconds; tests/test_pipeline_e2e.py runs the real notebooks concurrently
and compares the bytes with a one-job run.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ccstudy import pipeline
from ccstudy.io import files
from ccstudy.params import copy_study, load_params

ROOT = Path(__file__).resolve().parents[1]


class FakeExecutor:
    """Stands in for ``pipeline._execute``: records start/end times and overlap, writes outputs."""

    def __init__(self, seconds: float = 0.3, fail: str | None = None):
        self.seconds, self.fail = seconds, fail
        self.lock = threading.Lock()
        self.spans: dict[str, tuple[float, float]] = {}
        self.now_running: set[str] = set()
        self.max_running = 0

    def __call__(self, stage, params, out_nb, kernel_manager_class=None):
        t0 = time.perf_counter()
        self.managers = getattr(self, "managers", {})
        self.managers[stage] = kernel_manager_class
        with self.lock:
            self.now_running.add(stage)
            self.max_running = max(self.max_running, len(self.now_running))
        time.sleep(self.seconds)
        try:
            if stage == self.fail:
                raise pipeline.StageFailed(stage, "ValueError: boom", out_nb)
            rel = f"results/fake_{stage}.json"
            files.write_json(params.processed_dir / rel, {"stage": stage})
            files.write_json(params.processed_dir / ".stages" / f"{stage}.outputs.json",
                             {"stage": stage, "outputs": [rel]})
            files.write_text(out_nb, "{}")
        finally:
            with self.lock:
                self.now_running.discard(stage)
                self.spans[stage] = (t0, time.perf_counter())


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("dag")


@pytest.fixture
def study(study_dir, request):
    return copy_study(ROOT / "params" / "default.yaml", study_dir / request.node.name)


def _run(study, monkeypatch, jobs, **kw):
    fake = FakeExecutor(**kw)
    monkeypatch.setattr(pipeline, "_execute", fake)
    events = []
    try:
        result = pipeline.run(study, jobs=jobs, prewarm=False,
                              on_event=lambda e, s, i: events.append((e, s, dict(i))))
    except pipeline.StageFailed as exc:
        result = exc
    return fake, events, result


def test_independent_stages_run_side_by_side_after_their_upstream(study, monkeypatch):
    fake, events, result = _run(study, monkeypatch, jobs=2)
    assert [s.name for s in result.stages] == list(pipeline.STAGES)  # manifest order, not finish order
    assert fake.max_running == 2
    intake_end = fake.spans["00_intake"][1]
    for stage in pipeline.STAGES[1:]:
        assert fake.spans[stage][0] >= intake_end, f"{stage} started before 00_intake finished"
    # the progress events name the stages running together
    assert any(e == "start" and len(i["running"]) == 2 for e, _, i in events)
    assert [e for e, _, _ in events].count("done") == len(pipeline.STAGES)
    stamps = {s: files.read_json(result.params.processed_dir / ".stages" / f"{s}.json") for s in pipeline.STAGES}
    assert all(st["outputs"] == {f"results/fake_{s}.json": files.sha256_file(
        result.params.processed_dir / f"results/fake_{s}.json")} for s, st in stamps.items())
    assert files.read_json(result.manifest_path)["run"]["jobs"] == 2


def test_one_job_runs_one_stage_at_a_time_in_order(study, monkeypatch):
    fake, events, result = _run(study, monkeypatch, jobs=1, seconds=0.05)
    assert fake.max_running == 1
    assert [s for e, s, _ in events if e == "start"] == list(pipeline.STAGES)


def test_jobs_caps_the_stages_running_at_once(study, monkeypatch):
    fake, _, _ = _run(study, monkeypatch, jobs=3, seconds=0.3)
    assert fake.max_running == 3


def test_cached_stages_are_not_waited_for(study, monkeypatch):
    _run(study, monkeypatch, jobs=2, seconds=0.05)
    fake, events, result = _run(study, monkeypatch, jobs=2, seconds=0.05)
    assert [s.status for s in result.stages] == ["cached"] * len(pipeline.STAGES)
    assert fake.spans == {}
    # a changed stage re-runs alone even though its upstream is cached
    (result.params.processed_dir / "results" / "fake_30_training.json").write_text("tampered")
    fake, _, result = _run(study, monkeypatch, jobs=2, seconds=0.05)
    assert {s.name: s.status for s in result.stages if s.status == "ran"} == {"30_training": "ran"}


def test_a_failed_stage_stops_new_starts_and_is_reported(study, monkeypatch):
    fake, events, exc = _run(study, monkeypatch, jobs=1, seconds=0.05, fail="20_validity")
    assert isinstance(exc, pipeline.StageFailed) and exc.stage == "20_validity"
    assert ("failed", "20_validity") in [(e, s) for e, s, _ in events]
    # one job: 00 and 10 finished and are stamped; nothing started after the failure
    assert set(fake.spans) == {"00_intake", "10_reliability", "20_validity"}
    stages_dir = load_params(study).processed_dir / ".stages"
    assert {p.stem for p in stages_dir.glob("*.json") if not p.name.endswith(".outputs.json")} == \
        {"00_intake", "10_reliability"}


def test_a_failed_intake_starts_no_analysis(study, monkeypatch):
    fake, _, exc = _run(study, monkeypatch, jobs=2, seconds=0.05, fail="00_intake")
    assert isinstance(exc, pipeline.StageFailed) and exc.stage == "00_intake"
    assert set(fake.spans) == {"00_intake"}


def test_jobs_must_be_positive(study):
    with pytest.raises(ValueError, match="at least 1"):
        pipeline.run(study, jobs=0)


def test_default_jobs_is_the_cores_available():
    import os

    assert pipeline.default_jobs() == len(os.sched_getaffinity(0))


def test_every_stage_kernel_comes_from_the_template(study, monkeypatch):
    """With pre-warmed kernels, every stage uses the template, the intake too (asked for while the
    template still imports, its kernel is forked at the next module boundary: test_kernels)."""
    from ccstudy import kernels

    fake = FakeExecutor(seconds=0.05)
    monkeypatch.setattr(pipeline, "_execute", fake)
    monkeypatch.setattr(kernels, "Template", FakeTemplate)
    pipeline.run(study, jobs=2, prewarm=True)
    assert set(fake.managers) == set(pipeline.STAGES)
    assert set(fake.managers.values()) == {FakeTemplate.manager}


def test_several_jobs_start_the_longest_stages_first(study, monkeypatch):
    monkeypatch.setattr(pipeline, "_execute", FakeExecutor(seconds=0.05))
    for jobs, order in ((2, pipeline.START_ORDER), (1, pipeline.STAGES)):
        events = []
        pipeline.run(study, jobs=jobs, prewarm=False, force=True, on_event=lambda e, s, i: events.append((e, s)))
        assert [s for e, s in events if e == "start"] == list(order)
    assert pipeline.START_ORDER != pipeline.STAGES


class FakeTemplate:
    manager = type("PrewarmedKernelManager", (), {})

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def manager_class(self):
        return self.manager
