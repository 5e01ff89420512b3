"""Build fleet/data/printer_models.json, the supported-printer-models catalog (decision 0007).

Source of truth: the two clean tables of the French Aug 2025 guide ("Cloud Fleet Management": 4 agent
columns; "Cloud Scan Management, ..., Cloud Print Release": 6 columns). The English Sep 2024 table (10
capability columns, 55 rows carrying one spurious 11th value, see requirements A §7) is parsed only to
cross-check: every model whose editions disagree, or whose guide rows contradict each other, is marked
disputed with a note saying what disagrees and which reading was kept. Hand fixes are the explicit
overrides below, each with its reason.

Run:  python scripts/build_printer_models.py [--spec-dir DIR] [--out FILE] [--report]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = ROOT.parent / "shared" / "spec"
DEFAULT_OUT = ROOT / "fleet" / "data" / "printer_models.json"

AGENT_KEYS = ("printer_agent", "fleet_agent", "native_agent", "local_agent")
SERVICE_KEYS = ("cloud_scan", "cloud_print_mgmt", "auth_badge", "auth_user_id", "auth_pin", "cloud_print_release")
CAP_KEYS = AGENT_KEYS + SERVICE_KEYS
LABELS = {
    "printer_agent": "Printer Agent", "fleet_agent": "Fleet Agent", "native_agent": "Native Agent",
    "local_agent": "Local Agent", "cloud_scan": "Cloud Scan", "cloud_print_mgmt": "Cloud Print Management",
    "auth_badge": "Badge", "auth_user_id": "User ID", "auth_pin": "PIN", "cloud_print_release": "Cloud Print Release",
}

SUPERSCRIPTS = {"¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6}
FOOTNOTE_RE = re.compile(r"\^\{([\d,\s]+)\}|<sup>([\d,\s]+)</sup>|([¹²³⁴⁵⁶]+)")
MODEL_START_RE = re.compile(r"^[A-Za-z]+\d")   # a token that starts a new model name ("CX921", "Mx511de")
FAMILY_RE = re.compile(r"^[A-Za-z]*\d+x?")       # base model number: letters + digits (+ wildcard "x")

# --- Explicit overrides (each one was checked by hand against the guide text) -----------------------------

# Spelling fixes applied to the French edition's model names.
NAME_OVERRIDES = {
    # FR L1081/L1343 print "Mx511de" (lower-case x) in the MX510de row; EN L1692 and every other MX model
    # use "MX", so keep the English spelling rather than introduce a lower-case model prefix.
    "Mx511de": "MX511de",
}

# Values or footnotes the script cannot decide on its own (conflicting rows in the French tables).
# Each entry: fields to force, and the note recorded on the (disputed) model.
VALUE_OVERRIDES: dict[str, dict] = {
    # MS911de is listed twice in both editions: without footnote 3 (FR L1026/L1283, EN L1630) and with it
    # (FR L1073/L1335, EN L1679). The French values of both rows agree; footnote 3 (no control-panel
    # notifications under the Fleet Agent) applies to every sibling row without a Native Agent, so keep it.
    "MS911de": {
        "footnotes": [3],
        "note": "Listed twice in both editions, once without and once with footnote 3 (the two French rows "
                "agree on every value); kept footnote 3.",
    },
    # XC9465 is listed twice in the French tables: inside the "XC9335, XC9445, XC9455, XC9465" row (Scan ✓,
    # FR L1176/L1440) and alone near the end (Scan X, FR L1181/L1448). XC-series models are multifunction
    # printers and every model of its own row has Scan ✓, so keep Scan ✓ (the NL/SV Aug 2025 editions repeat
    # the same duplication, so they do not settle it). Not in the English 2024 edition.
    "XC9465": {
        "cloud_scan": True,
        "note": "Listed twice in the French 2025 tables: in the XC9335, XC9445, XC9455, XC9465 row with Cloud "
                "Scan ✓ and alone with Cloud Scan X (not in the English 2024 edition). Kept Cloud Scan ✓ "
                "(its multi-model row; XC models are multifunction printers).",
    },
}

# English-edition pages whose 11-value rows carry a duplicated agent value (A §7); on every other page the
# spurious value sits inside the Scan..PIN block. A page is identified by the first model it lists.
EN_AGENT_DUPLICATE_PAGES = {"C3326"}


# --- Parsing -------------------------------------------------------------------------------------------------

def cell_value(text: str, where: str) -> bool:
    text = text.strip()
    if text == "✓":
        return True
    if text in ("X", "x"):
        return False
    raise ValueError(f"{where}: unexpected cell {text!r}")


def split_name_cell(cell: str, where: str) -> tuple[list[str], list[int]]:
    """'Lexmark MX510de, Mx511de, MX517de ³' -> (['MX510de', 'MX511de', 'MX517de'], [3])."""
    footnotes: set[int] = set()
    for m in FOOTNOTE_RE.finditer(cell):
        if m.group(3):
            footnotes.update(SUPERSCRIPTS[c] for c in m.group(3))
        else:
            footnotes.update(int(n) for n in (m.group(1) or m.group(2)).replace(" ", "").split(","))
    text = FOOTNOTE_RE.sub(" ", cell).strip()
    if not text.startswith("Lexmark "):
        raise ValueError(f"{where}: no 'Lexmark' prefix in {cell!r}")
    text = text[len("Lexmark "):]
    names: list[str] = []
    for piece in text.split(","):
        # Within a piece, a token that does not start like a model ("1adwe", "25", "dwe", "b", "w", "500")
        # is the tail of the previous token, cut by the PDF extraction ("CX33 1adwe", "MX432a dwe").
        # A token that does start like a model begins a new name (FR "XC9525 XC9535" lacks the comma).
        current: list[str] = []
        for token in piece.split():
            if current and MODEL_START_RE.match(token):
                names.append("".join(current))
                current = []
            current.append(token)
        if current:
            names.append("".join(current))
    names = [NAME_OVERRIDES.get(n, n) for n in names]
    if not names:
        raise ValueError(f"{where}: no model in {cell!r}")
    return names, sorted(footnotes)


def table_rows(lines: list[str], start: int, end: int, width: int, source: str):
    """Yield (line_no, names, footnotes, values) for each 'Lexmark ...' row in lines[start:end]."""
    for i in range(start, end):
        line = lines[i]
        if not line.startswith("Lexmark "):
            continue
        cells = line.rstrip("\n").split("\t")
        where = f"{source} L{i + 1}"
        values = [cell_value(c, where) for c in cells[1:] if c.strip()]
        if len(values) != width:
            raise ValueError(f"{where}: expected {width} values, got {len(values)}: {line!r}")
        names, footnotes = split_name_cell(cells[0], where)
        yield i + 1, names, footnotes, values


def find_line(lines: list[str], prefix: str, after: int = 0) -> int:
    for i in range(after, len(lines)):
        if lines[i].startswith(prefix):
            return i
    raise ValueError(f"line starting with {prefix!r} not found")


def parse_french(path: Path) -> dict[str, dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = find_line(lines, "Modèles d'imprimante pris en charge")
    middle = find_line(lines, "Cloud Scan Management, Gestion de l'impression Cloud", start)
    end = find_line(lines, "¹ Fleet Agent détecte", middle)
    models: dict[str, dict] = {}
    tables = ((start, middle, AGENT_KEYS, "agents"), (middle, end, SERVICE_KEYS, "services"))
    for lo, hi, keys, table in tables:
        for line_no, names, footnotes, values in table_rows(lines, lo, hi, len(keys), f"FR {table}"):
            for name in names:
                entry = models.setdefault(name, {"agents": [], "services": []})
                entry[table].append({"line": line_no, "row_first": names[0], "footnotes": footnotes,
                                     "values": dict(zip(keys, values, strict=True))})
    return models


def parse_english(path: Path) -> dict[str, list[dict]]:
    """Each English row with its possible 10-value readings: one, or several when the realignment of an
    11-value row (A §7) is ambiguous."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = find_line(lines, "## Supported printer models")
    end = find_line(lines, "<sup>1</sup> The Fleet Agent", start)
    models: dict[str, list[dict]] = {}
    page_first = None
    for i in range(start, end):
        line = lines[i]
        if line.startswith("## "):
            page_first = None
            continue
        if not line.startswith("Lexmark "):
            continue
        where = f"EN L{i + 1}"
        cells = line.split("\t")
        values = [cell_value(c, where) for c in cells[1:] if c.strip()]
        names, footnotes = split_name_cell(cells[0], where)
        if page_first is None:
            page_first = names[0]
        if len(values) == 10:
            readings = {tuple(values)}
        elif len(values) == 11:
            # Drop the one spurious value. On the agent-duplicate page it is a repeated agent value: one of
            # the first five that equals a neighbour among them (any member of a run gives the same reading).
            # Elsewhere it is an extra value inside the Scan..PIN block (positions 4..9; position 10 is
            # Cloud Print Release); when that block mixes ✓ and X the row realigns ambiguously.
            if page_first in EN_AGENT_DUPLICATE_PAGES:
                drops = [k for k in range(5) if (k > 0 and values[k] == values[k - 1])
                         or (k < 4 and values[k] == values[k + 1])]
            else:
                drops = range(4, 10)
            if not drops:
                raise ValueError(f"{where}: 11 values but no repeated agent value to drop")
            readings = {tuple(values[:k] + values[k + 1:]) for k in drops}
        else:
            raise ValueError(f"{where}: {len(values)} values")
        row = {"line": i + 1, "footnotes": footnotes, "width": len(values),
               "readings": [dict(zip(CAP_KEYS, r, strict=True)) for r in sorted(readings)]}
        for name in names:
            models.setdefault(name, []).append(row)
    return models


# --- Building --------------------------------------------------------------------------------------------------

def family_of(row_first: str) -> str:
    m = FAMILY_RE.match(row_first)
    return m.group(0) if m else row_first


def mark(v: bool) -> str:
    return "✓" if v else "X"


def describe(values: dict, keys) -> str:
    return ", ".join(f"{LABELS[k]} {mark(values[k])}" for k in keys)


def build(fr: dict[str, dict], en: dict[str, list[dict]]) -> tuple[list[dict], list[str]]:
    problems: list[str] = []
    out = []
    for name in sorted(set(fr) | set(en)):
        override = VALUE_OVERRIDES.get(name, {})
        notes: list[str] = []
        f = fr.get(name, {"agents": [], "services": []})
        e = en.get(name, [])
        values: dict = {}
        footnotes: set[int] = set()
        fn_sets: set[tuple] = set()
        french_keys: list[str] = []
        for table, keys in (("agents", AGENT_KEYS), ("services", SERVICE_KEYS)):
            occurrences = f[table]
            if occurrences:
                distinct = {tuple(o["values"][k] for k in keys) for o in occurrences}
                if len(distinct) > 1 and not set(override) & set(keys):
                    problems.append(f"{name}: conflicting FR {table} rows {[o['line'] for o in occurrences]}")
                values.update(occurrences[0]["values"])
                french_keys.extend(keys)
                for o in occurrences:
                    footnotes.update(o["footnotes"])
                    fn_sets.add(tuple(o["footnotes"]))
            elif e:
                # The French edition lacks this half of the model (CS921de and CS923de are missing from its
                # services table): take the English row. Unambiguous rows are not disputed on that account.
                row = e[0]
                if len(e) > 1 or len(row["readings"]) > 1:
                    problems.append(f"{name}: English fallback row is duplicated or ambiguous")
                values.update({k: row["readings"][0][k] for k in keys})
                footnotes.update(row["footnotes"])
                fn_sets.add(tuple(row["footnotes"]))
            else:
                problems.append(f"{name}: in neither edition's {table} table")
        if len(fn_sets) > 1 and "footnotes" not in override:
            problems.append(f"{name}: rows attach different footnotes {sorted(fn_sets)}")
        first_rows = f["agents"] or f["services"]
        family = family_of(first_rows[0]["row_first"] if first_rows else name)

        # Cross-check the French values with the English edition.
        for row in e:
            diff_keys = [k for k in french_keys if any(r[k] != values[k] for r in row["readings"])]
            if not diff_keys or {k: values[k] for k in CAP_KEYS} in row["readings"]:
                continue
            if len(row["readings"]) > 1:
                options = " or ".join(f"({describe(r, diff_keys)})" for r in row["readings"])
                notes.append(f"English 2024 row (L{row['line']}) has 11 values and realigns either to {options}; "
                             f"French 2025: {describe(values, diff_keys)}. Kept the French reading.")
            else:
                notes.append(f"Editions disagree on {', '.join(LABELS[k] for k in diff_keys)}: English 2024 "
                             f"(L{row['line']}) {describe(row['readings'][0], diff_keys)}; French 2025 "
                             f"{describe(values, diff_keys)}. Kept the French reading.")
        en_fn = {n for row in e for n in row["footnotes"]}
        if e and en_fn != footnotes and "footnotes" not in override:
            problems.append(f"{name}: footnotes FR {sorted(footnotes)} EN {sorted(en_fn)}")

        for key in CAP_KEYS:
            if key in override:
                values[key] = override[key]
        if "footnotes" in override:
            footnotes = set(override["footnotes"])
        if "family" in override:
            family = override["family"]
        if "note" in override:
            notes.insert(0, override["note"])
        out.append({
            "name": name, "family": family,
            **{k: bool(values[k]) for k in CAP_KEYS},
            "footnotes": sorted(footnotes),
            "disputed": bool(notes),
            "note": " ".join(notes),
        })
    return out, problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec-dir", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--report", action="store_true", help="print the disputed models")
    args = parser.parse_args(argv)
    fr = parse_french(args.spec_dir / "guide-fr-2025-08.txt")
    en = parse_english(args.spec_dir / "guide-en-2024-09.txt")
    models, problems = build(fr, en)
    if problems:
        print("Unresolved (add an explicit override):", *problems, sep="\n  ", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(models, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    disputed = [m for m in models if m["disputed"]]
    print(f"{len(models)} models ({len(disputed)} disputed) -> {args.out}")
    if args.report:
        for m in disputed:
            print(f"- {m['name']}: {m['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
