"""Catalog files: the shared reference formats load as they are, round-trips are lossless,
and every broken row is reported with file, row, field and reason."""

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from knowledge.formats import (
    CatalogFileError,
    read_catalog_files,
    write_csv_dir,
    write_json,
    write_xlsx,
)
from tests.conftest import demo_files, real_catalog_file, reference_files


@pytest.fixture(scope="module")
def everything():
    return read_catalog_files([*reference_files(), real_catalog_file()])


def test_reference_and_real_catalogs_load_as_they_are(everything) -> None:
    assert len(everything.items) == 148 + 1135
    assert len(everything.bundles) == 12
    assert len(everything.halls) == 39
    birth = everything.items["GA-0001"]
    assert birth.name == "出生登记"
    assert birth.situation("marital") is not None
    marriage = [m for m in birth.materials if m.name == "父母结婚证"][0]
    assert marriage.when == (("marital", "married"),)
    assert marriage.applies({"marital": "married"}) is True
    assert marriage.applies({"marital": "unmarried"}) is False
    assert marriage.applies({}) is None
    real = next(i for i in everything.items.values() if i.area_code)
    assert real.department and real.category and not real.materials


def test_demo_catalog_is_rich_enough() -> None:
    demo = read_catalog_files(demo_files())
    assert len(demo.items) >= 30
    assert len({i.department for i in demo.items.values()}) >= 8
    assert len(demo.bundles) >= 3
    assert all(h.lat is not None and h.lon is not None for h in demo.halls.values())
    assert sum(bool(i.situations) for i in demo.items.values()) >= 8
    assert sum(len(i.faq) for i in demo.items.values()) >= 30
    assert demo.synonyms


@pytest.mark.parametrize("fmt", ["json", "xlsx", "csv"])
def test_export_then_import_gives_the_same_catalog(everything, tmp_path: Path, fmt: str) -> None:
    if fmt == "json":
        write_json(everything, tmp_path / "c.json")
        paths = [tmp_path / "c.json"]
    elif fmt == "xlsx":
        write_xlsx(everything, tmp_path / "c.xlsx")
        paths = [tmp_path / "c.xlsx"]
    else:
        paths = write_csv_dir(everything, tmp_path / "csv")
    again = read_catalog_files(paths)
    assert again == everything


def _errors(paths, known=()) -> list[str]:
    with pytest.raises(CatalogFileError) as e:
        read_catalog_files(paths, known_items=known)
    return [str(x) for x in e.value.errors]


def _write(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


GOOD = {
    "code": "T-1",
    "name": "居民身份证换领",
    "situations": [{"key": "age", "ask": "满16周岁吗？", "options": {"adult": "是", "minor": "否"}}],
    "materials": [{"name": "居民户口簿", "form": "原件", "copies": 1, "required": True, "note": "", "when": {}}],
}


def test_bad_rows_are_reported_by_file_row_field_and_reason(tmp_path: Path) -> None:
    items = _write(
        tmp_path / "items.json",
        [
            GOOD,
            {"code": "T-2"},  # missing name
            dict(GOOD, code="T-3", materials=[dict(GOOD["materials"][0], when={"age": "old"})]),
            dict(GOOD, code="T-4", materials=[dict(GOOD["materials"][0], when={"income": "low"})]),
            dict(GOOD, code="T-5", materials=[dict(GOOD["materials"][0], form="扫描件", copies="two")]),
            dict(GOOD, code="T-1"),  # duplicate
            dict(GOOD, code="T-6", legal_days="sixty", online="yes"),
        ],
    )
    bundles = _write(tmp_path / "bundles.json", [{"code": "B-1", "name": "出生一件事", "items": ["T-1", "T-404"]}])
    errors = _errors([items, bundles])
    text = "\n".join(errors)
    assert f"{items}: row 2: name: missing" in text
    assert f"{items}: row 3: materials[0].when: malformed: situation 'age' has no option 'old'" in text
    assert f"{items}: row 4: materials[0].when: malformed: no situation 'income'" in text
    assert f"{items}: row 5: materials[0].form" in text
    assert f"{items}: row 5: materials[0].copies" in text
    assert f"{items}: row 6: code: duplicate code 'T-1'" in text
    assert f"{items}: row 7: legal_days" in text and f"{items}: row 7: online" in text
    assert f"{bundles}: row 1: items: unknown bundle member(s): T-404" in text


def test_bundle_members_may_already_be_stored(tmp_path: Path) -> None:
    bundles = _write(tmp_path / "bundles.json", [{"code": "B-1", "name": "出生一件事", "items": ["GA-9"]}])
    assert "GA-9" in read_catalog_files([bundles], known_items={"GA-9"}).bundles["B-1"].items
    assert any("GA-9" in e for e in _errors([bundles]))


def test_unreadable_files_are_reported_not_raised(tmp_path: Path) -> None:
    broken = tmp_path / "items.json"
    broken.write_text('[{"code": "X", "name": ', encoding="utf-8")
    fake_xlsx = tmp_path / "catalog.xlsx"
    fake_xlsx.write_bytes(b"not a zip file")
    other = tmp_path / "catalog.pdf"
    other.write_bytes(b"%PDF")
    errors = _errors([broken, fake_xlsx, other, tmp_path / "missing.json"])
    assert len(errors) == 4
    assert "invalid JSON at line 1" in errors[0]
    assert "not a readable .xlsx" in errors[1]
    assert "unknown file type" in errors[2]
    assert "missing.json" in errors[3]


def test_staff_sheets_with_yes_no_and_situation_columns(tmp_path: Path) -> None:
    rows = {
        "items.csv": [["code", "name", "aliases", "online", "legal_days"], ["T-1", "犬只登记", "养狗登记|狗证", "是", "20"]],
        "situations.csv": [
            ["item_code", "key", "ask", "option_key", "option_label"],
            ["T-1", "owner", "谁来办？", "self", "本人"],
            ["T-1", "owner", "谁来办？", "agent", "代办"],
        ],
        "materials.csv": [
            ["item_code", "name", "form", "copies", "required", "note", "when"],
            ["T-1", "居民身份证", "原件", "1", "是", "", ""],
            ["T-1", "授权委托书", "原件", "1", "否", "", "owner=agent"],
        ],
    }
    paths = []
    for name, content in rows.items():
        with (tmp_path / name).open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(content)
        paths.append(tmp_path / name)
    item = read_catalog_files(paths).items["T-1"]
    assert item.aliases == ("养狗登记", "狗证") and item.online is True and item.legal_days == 20
    assert item.situation("owner").options == (("self", "本人"), ("agent", "代办"))
    assert item.materials[1].when == (("owner", "agent"),) and item.materials[1].required is False


def test_a_broken_excel_row_names_its_sheet_and_row(everything, tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    write_xlsx(everything, path)
    wb = load_workbook(path)
    wb["materials"]["G5"] = "age"  # a `when` without "=option"
    wb["items"]["B3"] = None  # an item without a name
    wb.save(path)
    errors = _errors([path])
    assert any("[materials]: row 5: when: malformed" in e for e in errors)
    assert any("[items]: row 3: name: missing" in e for e in errors)
