"""The package's top level: every public name, imported only when used.

Start-up times are measured in ``benchmarks/startup.py``; these tests check the
cause instead: which modules a bare ``import calibrate`` and ``calibrate --help``
load.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import calibrate

#: Heavy libraries the command line must not load to print its help.
HEAVY = ("pandas", "numpy", "scipy", "pandera", "matplotlib", "weasyprint", "statsmodels",
         "holidays", "jinja2")


def _modules_loaded(code: str) -> set[str]:
    completed = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\n"
                               "print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True)
    return set(json.loads(completed.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("code", [
    "import calibrate",
    "import calibrate.cli",
    "import calibrate.errors",
])
def test_importing_loads_no_heavy_library(code):
    loaded = _modules_loaded(code)
    assert not {name for name in HEAVY if name in loaded}


def test_help_and_version_load_no_heavy_library():
    code = ("import sys\nfrom calibrate.cli import cli\n"
            "for args in (['--help'], ['--version'], ['report', '--help']):\n"
            "    try:\n        cli(args, prog_name='calibrate')\n"
            "    except SystemExit as stop:\n        assert stop.code == 0, stop.code\n")
    loaded = _modules_loaded(code)
    assert not {name for name in HEAVY if name in loaded}


def test_every_public_name_resolves_to_its_module():
    import calibrate.export
    import calibrate.io
    import calibrate.model

    for name in calibrate.__all__:
        assert getattr(calibrate, name) is not None
    assert calibrate.Calibrator is calibrate.model.Calibrator
    assert calibrate.read_export is calibrate.io.read_export
    assert calibrate.Multipliers is calibrate.export.Multipliers
    assert set(calibrate.__all__) <= set(dir(calibrate))
    assert set(calibrate.__all__) == {*calibrate._PUBLIC, "__version__"}


def test_star_import_gives_the_public_names():
    namespace: dict = {}
    exec("from calibrate import *", namespace)
    assert {"Calibrator", "read_export", "CalibrationResult", "__version__"} <= set(namespace)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Calibrater'"):
        calibrate.Calibrater  # noqa: B018
