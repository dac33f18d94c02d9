"""environment.yml (conda users) and pyproject.toml declare the same dependencies."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _norm(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", spec)
    name = m.group(1).lower().replace("_", "-")
    return name, m.group(3).replace(" ", "")


def test_environment_yml_matches_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = dict(_norm(s) for s in py["project"]["dependencies"] + py["project"]["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    have = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for s in dep["pip"]:
                if not s.startswith("-e"):
                    have.update([_norm(s)])
        else:
            n, v = _norm(dep)
            if n not in ("python", "pip"):
                have[n] = v
    # conda-forge has no pypandoc-binary / typst wheels: they come through pip, same specs.
    assert have == wanted, (
        f"only in pyproject: {sorted(set(wanted) - set(have))}; only in environment.yml: "
        f"{sorted(set(have) - set(wanted))}; version differences: "
        f"{ {k: (wanted[k], have[k]) for k in set(wanted) & set(have) if wanted[k] != have[k]} }")
