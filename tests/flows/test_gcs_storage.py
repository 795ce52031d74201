"""Extracts and exports on Google Cloud Storage: a real GCS JSON API served locally
(gcp-storage-emulator's threaded server, in memory, started and stopped by the test module), read
and written through gcsfs as any fsspec URL. A day's files are read as from a local folder, a night
runs from the bucket and `mql export` writes there; a missing bucket fails in one line."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tasks.errors import ExtractError
from tasks.intake.extract import read_extract
from tests.conftest import BUCKET, FIRST_DAY, read_sql

pytestmark = pytest.mark.usefixtures("prefect_api")


@pytest.fixture(scope="module")
def emulator(generated: Path) -> Iterator[str]:
    """The emulator's address, holding the first generated day under gs://leads-landing/extracts/."""
    from gcp_storage_emulator.server import create_server

    server = create_server("127.0.0.1", 0, in_memory=True, default_bucket=BUCKET)
    server.start()
    try:
        host, port = server._api._httpd.server_address
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def on_gcs(emulator: str, generated: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """gcsfs pointed at the emulator (STORAGE_EMULATOR_HOST, as gcsfs documents), with the first
    generated day uploaded; gcsfs's bucket-type probe (a gRPC call the emulator does not serve) off."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator)
    monkeypatch.setenv("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
    import gcsfs

    fs = gcsfs.GCSFileSystem(token="anon", skip_instance_cache=True)
    for path in sorted((generated / str(FIRST_DAY)).iterdir()):
        fs.pipe_file(f"{BUCKET}/extracts/{FIRST_DAY}/{path.name}", path.read_bytes())
    return f"gs://{BUCKET}/extracts"


def test_a_day_is_read_from_gcs_a_night_runs_from_it_and_exports_there(on_gcs, generated, tmp_path):
    remote = read_extract(on_gcs, FIRST_DAY)
    local = read_extract(generated, FIRST_DAY)
    assert set(remote.frames) == set(local.frames)
    for name, frame in local.frames.items():
        pd.testing.assert_frame_equal(remote.frames[name], frame, obj=name)
    assert remote.files["leads"] == f"{on_gcs}/{FIRST_DAY}/leads.csv"
    with pytest.raises(ExtractError) as missing:
        read_extract("gs://no-such-bucket/extracts", FIRST_DAY)
    assert str(missing.value) == "extracts location gs://no-such-bucket/extracts: does not exist (no such bucket or folder)"

    url, runner = f"sqlite:///{tmp_path / 'warehouse.db'}", CliRunner()
    ran = runner.invoke(app, ["backfill", "--start", str(FIRST_DAY), "--end", str(FIRST_DAY + timedelta(days=1)),
                              "--extracts", on_gcs, "--warehouse", url])
    assert ran.exit_code == 0, ran.output
    runs = read_sql(url, "SELECT run_date, status FROM runs ORDER BY run_date")
    assert runs.astype(str).values.tolist() == [[str(FIRST_DAY), "succeeded"],
                                                [str(FIRST_DAY + timedelta(days=1)), "no_data"]]
    target = f"gs://{BUCKET}/exports"
    exported = runner.invoke(app, ["export", "--date", str(FIRST_DAY), "--to", target, "--warehouse", url])
    assert exported.exit_code == 0, exported.output
    import gcsfs

    fs = gcsfs.GCSFileSystem(token="anon", skip_instance_cache=True)
    assert fs.ls(f"{BUCKET}/exports", detail=False) == [f"{BUCKET}/exports/handoffs_{FIRST_DAY}.parquet"]
    written = pd.read_parquet(io.BytesIO(fs.cat_file(f"{BUCKET}/exports/handoffs_{FIRST_DAY}.parquet")))
    rows = read_sql(url, "SELECT lead_id FROM lead_handoffs WHERE run_date = :d ORDER BY lead_id", d=str(FIRST_DAY))
    assert written["lead_id"].tolist() == rows["lead_id"].tolist() and len(rows) > 0
    recorded = read_sql(url, "SELECT location, row_count FROM handoff_exports")
    assert recorded.values.tolist() == [[f"{target}/handoffs_{FIRST_DAY}.parquet", len(rows)]]
