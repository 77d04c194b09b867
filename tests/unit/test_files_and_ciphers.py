"""The hub's files kept private (``file_modes.tighten``), and the event store library's own
cipher refused with a message rather than a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.adapters.file_modes import tighten
from hub.config import Settings
from hub.errors import ConfigurationError


@pytest.mark.parametrize("name", ["CIPHER_KEY", "HUB_CIPHER_KEY", "CIPHER_TOPIC"])
def test_the_librarys_cipher_is_refused_pointing_to_the_hubs_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "c2VjcmV0")
    with pytest.raises(ConfigurationError) as refused:
        Settings(data_dir=tmp_path).store_env()
    said = str(refused.value)
    assert name in said and "HUB_MASTER_KEY_FILE" in said and "docs/privacy.md" in said
    assert "c2VjcmV0" not in said


def test_a_folder_made_before_is_made_its_owners_alone(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    (data / "nats").mkdir(parents=True)
    for folder in (data, data / "nats"):
        folder.chmod(0o755)
    (data / "hub.sqlite").write_text("")
    (data / "hub.sqlite").chmod(0o644)
    (data / "nats" / "nats.conf").write_text("")
    (data / "nats" / "nats.conf").chmod(0o640)
    (data / "key").write_text("")
    (data / "key").chmod(0o400)  # already private: kept as it is
    (data / "link").symlink_to(tmp_path)  # not followed
    elsewhere = tmp_path / "projections.sqlite"
    elsewhere.write_text("")
    elsewhere.chmod(0o664)
    tmp_path.chmod(0o755)

    assert tighten(data, elsewhere, tmp_path / "absent.sqlite") == 5
    paths = (data, *data.rglob("*"), elsewhere)
    modes = {p.name: p.stat().st_mode & 0o777 for p in paths if not p.is_symlink()}
    assert modes == {
        "hub": 0o700, "nats": 0o700, "hub.sqlite": 0o600, "nats.conf": 0o600, "key": 0o400,
        "projections.sqlite": 0o600,
    }  # fmt: skip
    assert tmp_path.stat().st_mode & 0o777 == 0o755  # a link's target is not the hub's
    assert tighten(data, elsewhere) == 0
