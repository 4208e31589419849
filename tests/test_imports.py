"""The modules' imports go one way: the administration's API builds on the JSON base, not on the public API."""

from __future__ import annotations

import subprocess
import sys

from service import ROOT


def test_admin_api_does_not_import_the_public_api() -> None:
    probe = "import sys, service.admin.api; print('service.api.views' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
