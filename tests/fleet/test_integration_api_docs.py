"""docs/integration-api.md's examples work: the Python (requests) program and the curl commands are taken
from the page as written, pointed at the live server with a real integration application, and run."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fleet.test_integration_api_fixtures import full_printer, integration_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration-api.md"


def _block(language: str, after: str) -> str:
    text = DOC.read_text()
    start = text.index(after)
    return re.search(rf"```{language}\n(.*?)```", text[start:], re.S).group(1)


def _adapt(code: str, live_server, app, secret) -> str:
    return (code.replace("http://127.0.0.1:8000", live_server.url).replace("CLIENT_ID", app.client_id)
            .replace("CLIENT_SECRET", secret))


@pytest.fixture
def connector(acme):
    full_printer(acme, "12345SERIALNUMBER")
    full_printer(acme, "DOC-2", ip="127.0.3.2")
    return integration_app(acme)


@pytest.mark.django_db(transaction=True)
def test_the_python_example_reads_every_printer(live_server, connector):
    app, secret = connector
    code = _adapt(_block("python", "## 4. Example"), live_server, app, secret)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = sorted(done.stdout.splitlines())
    assert [line.split()[0] for line in lines] == ["12345SERIALNUMBER", "DOC-2"]
    assert "('Black', 50)" in lines[0] and " 95 " in lines[0]


@pytest.mark.django_db(transaction=True)
def test_the_curl_example_works(live_server, connector):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed (Debian package curl)")
    app, secret = connector
    script = _adapt(_block("sh", "## 5. Example"), live_server, app, secret)
    done = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count('"content":') == 2 and '"serialNumber":"12345SERIALNUMBER"' in out
    assert '"totalElements":1' in out and '"dateCollected"' in out
