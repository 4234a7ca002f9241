"""``mutuals export-ocds`` and ``mutuals import-ocds``: messages and exit status."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutuals.contracts.models import Contract


def test_export_then_import_through_the_commands(contracts_world, tmp_path, capsys):
    out = tmp_path / "contracts.json"
    call_command("export-ocds", "--out", str(out), "--contract", "RTR-0001")
    assert "1 contract(s) written" in capsys.readouterr().out
    assert len(json.loads(out.read_text())["releases"]) == 1
    Contract.objects.filter(reference="RTR-0001").delete()
    call_command("import-ocds", str(out))
    assert "1 contracts created, 0 updated, of 1 releases" in capsys.readouterr().out
    assert Contract.objects.filter(reference="RTR-0001").exists()


def test_import_lists_problems_and_fails(contracts_world, tmp_path, capsys):
    out = tmp_path / "contracts.json"
    call_command("export-ocds", "--out", str(out))
    package = json.loads(out.read_text())
    package["releases"][0]["contracts"][0]["value"]["currency"] = "Pounds"
    out.write_text(json.dumps(package))
    with pytest.raises(CommandError, match="Nothing was imported: 1 problem"):
        call_command("import-ocds", str(out))
    assert "path releases[0].contracts[0].value.currency: 'Pounds' is not one of" in (
        capsys.readouterr().err
    )


def test_unknown_reference_and_unreadable_file(contracts_world, tmp_path):
    with pytest.raises(CommandError, match="No contract has the reference NOPE"):
        call_command("export-ocds", "--out", str(tmp_path / "x.json"), "--contract", "NOPE")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CommandError, match="is not JSON"):
        call_command("import-ocds", str(tmp_path / "bad.json"))
