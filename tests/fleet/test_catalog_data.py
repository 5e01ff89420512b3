"""The supported-printer-models catalog (fleet/data/printer_models.json, decision 0007): pure data checks.

Spot checks were verified by hand against the French Aug 2025 tables (guide-fr-2025-08.txt L930-1451) and
the English Sep 2024 table (guide-en-2024-09.txt L1531-1798)."""
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "fleet" / "data" / "printer_models.json"
SCRIPT = ROOT / "scripts" / "build_printer_models.py"

CAPABILITIES = ("printer_agent", "fleet_agent", "native_agent", "local_agent", "cloud_scan", "cloud_print_mgmt",
                "auth_badge", "auth_user_id", "auth_pin", "cloud_print_release")
KEYS = {"name": str, "family": str, **dict.fromkeys(CAPABILITIES, bool), "footnotes": list, "disputed": bool,
        "note": str}

MODELS = json.loads(CATALOG.read_text(encoding="utf-8"))
BY_NAME = {m["name"]: m for m in MODELS}


def caps(name):
    """The model's capabilities as 'PFNL SCBUPR' with ✓ shown as the letter and X as '.'."""
    m = BY_NAME[name]
    letters = "PFNLSCBUPR"
    flags = "".join(letter if m[k] else "." for letter, k in zip(letters, CAPABILITIES, strict=True))
    return f"{flags[:4]} {flags[4:]}"


def test_shape_and_types():
    assert isinstance(MODELS, list)
    for m in MODELS:
        assert set(m) == set(KEYS), m.get("name")
        for key, kind in KEYS.items():
            assert type(m[key]) is kind, (m["name"], key)
        assert m["name"] and m["name"] == m["name"].strip() and " " not in m["name"]
        assert m["family"]


def test_names_unique_and_sorted():
    names = [m["name"] for m in MODELS]
    assert len(names) == len(set(names))
    assert names == sorted(names)


def test_footnotes_are_sorted_distinct_and_within_1_to_6():
    for m in MODELS:
        assert all(type(n) is int and 1 <= n <= 6 for n in m["footnotes"]), m["name"]
        assert m["footnotes"] == sorted(set(m["footnotes"])), m["name"]


def test_note_exactly_when_disputed():
    for m in MODELS:
        assert bool(m["note"]) == m["disputed"], m["name"]


def test_family_is_the_base_of_one_of_its_members():
    families = {}
    for m in MODELS:
        families.setdefault(m["family"], []).append(m["name"])
    for family, names in families.items():
        assert any(n.startswith(family) for n in names), family


def test_count_in_expected_range():
    # 183 English rows, 196 French rows; one entry per model name once rows are split.
    assert 280 <= len(MODELS) <= 320
    assert 170 <= len({m["family"] for m in MODELS}) <= 200
    assert 10 <= sum(m["disputed"] for m in MODELS) <= 30


def test_class_a_model_has_every_agent_scan_print_and_auth():
    # FR L998 / L1255: "CX920, CX920de, CX921, CX821de, ... CX931dtse" all ✓ except Cloud Print Release.
    for name in ("CX920", "CX921", "CX931dtse"):
        assert caps(name) == "PFNL SCBUP.", name
        assert BY_NAME[name]["family"] == "CX920"
        assert BY_NAME[name]["footnotes"] == []
        assert not BY_NAME[name]["disputed"]


def test_footnote_3_models_have_no_native_agent():
    # FR L1081 / L1343: "MX510de, Mx511de, MX517de ³"; the guide's lower-case "Mx511de" is spelled MX511de.
    for name in ("MX510de", "MX511de", "MX517de"):
        assert BY_NAME[name]["footnotes"] == [3]
        assert caps(name) == "PF.L .CBUP."
    assert "Mx511de" not in BY_NAME
    every_3 = [m for m in MODELS if 3 in m["footnotes"]]
    assert every_3 and all(m["fleet_agent"] and not m["native_agent"] for m in every_3)


def test_ms911de_listed_twice_keeps_footnote_3_and_is_disputed():
    m = BY_NAME["MS911de"]
    assert m["footnotes"] == [3]
    assert caps("MS911de") == "PF.L .CBUP."
    assert m["disputed"] and "footnote 3" in m["note"]


def test_legacy_footnote_4_5_models():
    # FR L1098 / L1360: "X651, X652, X654, X656, X658 ^{4,5}": Fleet + Local Agent, Scan ✓ (the only legacy one).
    for name in ("X651", "X658"):
        assert BY_NAME[name]["footnotes"] == [4, 5]
        assert caps(name) == ".F.L SCBUP."
    assert caps("X734") == ".F.L .CBUP."
    # X925 carries footnote 5 alone.
    assert BY_NAME["X925"]["footnotes"] == [5]


def test_t656_is_local_agent_only():
    # FR L1096 / L1358: "T656, TS656 ^{4,5}": X X X ✓, then X ✓ ✓ ✓ ✓ X.
    for name in ("T656", "TS656"):
        assert caps(name) == "...L .CBUP."
        assert BY_NAME[name]["footnotes"] == [4, 5]
        assert BY_NAME[name]["family"] == "T656"


def test_entry_models_have_cloud_print_release_and_pin_only():
    # FR L965 / L1224 "CS431dw" and L1044 / L1301 "MC3224 dwe": X ✓ ✓ ✓, then X X X X ✓ ✓.
    for name in ("CS431dw", "MC3224dwe", "MX431adn"):
        assert caps(name) == ".FNL ....PR", name
        assert not BY_NAME[name]["disputed"]
    # C2326: no Local Agent.
    assert caps("C2326") == ".FN. ....PR"


def test_xm1342_scan_and_release_without_print_management():
    # FR L1123 / L1390: X ✓ ✓ ✓, then ✓ X X X ✓ ✓.
    assert caps("XM1342") == ".FNL S...PR"


def test_listed_without_capability():
    assert caps("T654dn") == caps("X544dn") == ".... ......"


def test_pdf_split_names_are_rejoined():
    # The French text cuts some names ("CX33 1adwe", "MS7 25", "MX6 500", "MX432a dwe", "CX931dt se").
    for name in ("CX331adwe", "MS725", "MX6500", "MX432adwe", "CX931dtse", "XM7355b", "C3426dw", "XC9535"):
        assert name in BY_NAME, name
    # "MX6500, 6500" lists a bare "6500" model; kept as printed, in the MX6500 family.
    assert BY_NAME["6500"]["family"] == "MX6500"


def test_disputed_rows_keep_the_french_reading():
    # MX410de: FR Scan ✓ / CPM X; EN Scan X / CPM X.
    assert caps("MX410de") == "PF.L S.BUP." and BY_NAME["MX410de"]["disputed"]
    # XS748: FR shows Fleet Agent ✓; EN X.
    assert caps("XS748") == "PF.L .CBUP." and "Fleet Agent" in BY_NAME["XS748"]["note"]
    # MS725: EN row has 11 values (ambiguous); FR has no CPM and no authentication.
    assert caps("MS725") == ".FNL ......" and BY_NAME["MS725"]["disputed"]
    # XC9465 is listed twice in the French tables (Scan ✓ in its row, X alone); Scan ✓ kept.
    assert caps("XC9465") == "PFNL SCBUP." and BY_NAME["XC9465"]["disputed"]


def test_models_missing_from_the_french_services_table_come_from_english():
    # CS921de / CS923de appear only in the French agents table; EN L1577-1578: CPM X, Badge/User ID/PIN ✓.
    for name in ("CS921de", "CS923de"):
        assert caps(name) == "PFNL ..BUP."


def test_catalog_matches_the_build_script_output():
    spec = ROOT.parent / "shared" / "spec"
    if not (spec / "guide-fr-2025-08.txt").exists():
        pytest.skip("guide text not available")
    module_spec = importlib.util.spec_from_file_location("build_printer_models", SCRIPT)
    build = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(build)
    fr = build.parse_french(spec / "guide-fr-2025-08.txt")
    en = build.parse_english(spec / "guide-en-2024-09.txt")
    models, problems = build.build(fr, en)
    assert problems == []
    assert models == MODELS
