"""Shared fixtures of the KPI tests: one DuckDB connection per test, ONE Spark session for the run.

A cold local Spark session takes ~20 s, so every Spark test shares the
session-scoped fixture below (local mode, 2 threads).  `make test` installs
PySpark (the [spark] extra) and Java; without them the Spark tests are skipped
with the reason, never silently passed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def duck():
    from ccstudy.kpi.backends import connect

    return connect("duckdb", threads=2)


@pytest.fixture(scope="session")
def spark_session():
    pytest.importorskip("pyspark", reason="PySpark not installed: make spark (or pip install -e '.[spark]')")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: make spark installs openjdk-17-jre-headless")
    from ccstudy.kpi.backends import spark_session as make

    s = make("local[2]", config={"spark.sql.shuffle.partitions": "2"})
    yield s
    s.stop()


@pytest.fixture(scope="session")
def spark(spark_session):
    from ccstudy.kpi.backends import connect

    return connect("spark", session=spark_session)
