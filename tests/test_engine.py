"""The one engine switch (``arabic_dedup._engine``): fast where numba is, never a silent
fallback when the kernels are broken."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _impl import with_impl

import arabic_dedup as ad
from arabic_dedup import _engine


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
def test_fast_path_is_active_where_numba_is_installed() -> None:
    # CI installs numba: if this fails there, every fast == reference test compared the
    # reference with itself.
    assert with_impl(None, _engine.impl) == "fast"
    assert with_impl("fast", _engine.impl) == "fast"
    k = with_impl(None, _engine.kernels)
    assert k is not None and k.__name__ == "arabic_dedup.kernels"


def test_reference_is_forced_by_the_variable() -> None:
    assert with_impl("reference", _engine.impl) == "reference"
    assert with_impl("reference", _engine.kernels) is None


def test_a_bad_setting_names_the_variable_and_the_choices() -> None:
    with pytest.raises(ad.ConfigError, match=r"ARABIC_DEDUP_IMPL must be one of auto, fast"):
        with_impl("quick", _engine.impl)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(p for p in sys.path if p)},
    )


def test_broken_kernels_raise_instead_of_falling_back() -> None:
    # numba importable, the kernels package not: a KernelError, not the reference path.
    proc = _run(
        """
        import importlib.abc, sys
        class Broken(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name == "arabic_dedup.kernels":
                    raise ImportError("simulated broken build")
        sys.meta_path.insert(0, Broken())
        import arabic_dedup as ad
        try:
            ad.find_duplicates(["نص عربي قصير", "نص عربي قصير"])
        except ad.KernelError as e:
            print("KernelError:", e)
        else:
            print("fell back silently")
        """
    )
    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed: nothing to break")
    assert "KernelError:" in proc.stdout, proc.stdout + proc.stderr
    assert "simulated broken build" in proc.stdout
    assert "ARABIC_DEDUP_IMPL=reference" in proc.stdout


def test_without_numba_the_reference_path_runs_silently() -> None:
    proc = _run(
        """
        import sys
        sys.modules["numba"] = None  # as if it were not installed
        import arabic_dedup as ad
        from arabic_dedup import _engine
        r = ad.find_duplicates(["نص عربي قصير جدا هنا", "نص عربي قصير جدا هنا"])
        print(_engine.impl(), r.duplicate_of)
        """
    )
    assert proc.stdout.strip() == "reference [None, 0]", proc.stdout + proc.stderr


def test_a_change_to_any_kernel_source_drops_every_kernel_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # numba checks a build against its own file only; kernels inline helpers of other modules,
    # so an edit to verify.py must drop grouped_stars' build too (see kernels/_cache.py).
    from arabic_dedup.kernels import _cache

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    src = Path(_cache.__file__).parent
    for f in src.glob("*.py"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    build = cache / "cluster.grouped_stars-24.py311.nbi"
    build.write_bytes(b"old")
    _cache.drop_stale_caches(tmp_path)
    assert not build.exists()  # no stamp yet: builds of unknown sources are dropped
    build.write_bytes(b"new")
    _cache.drop_stale_caches(tmp_path)
    assert build.exists()  # same sources: the build is kept
    (tmp_path / "verify.py").write_text((tmp_path / "verify.py").read_text() + "\n# edited\n")
    _cache.drop_stale_caches(tmp_path)
    assert not build.exists()  # another module's edit drops it
