"""The document library: upload checks, safe names, ingest at once, rejection that changes
nothing, and removal — over a real index (Chroma, the embedding model, BM25)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import make_settings
from rag.ingest.uploads import Library, LibraryError, safe_filename
from rag.wiring import Pipeline
from rag.rwlock import ReadWriteLock

LIGHTHOUSE = (
    "The Zarnobian Lighthouse\n\n"
    "The keeper of the Zarnobian lighthouse is Eldric Vantashi. He has kept its lamp burning since 1987, "
    "through every winter storm on the northern cape.\n\n"
    "The lighthouse stands forty metres tall and its beam reaches thirty kilometres out to sea.\n"
)
ORCHARD = (
    "Notes on the Quillfeather Orchard\n\n"
    "The Quillfeather orchard grows seventeen varieties of blue pear. Its oldest tree was planted in 1902 "
    "by the botanist Marisol Okonkwo-Reyes.\n"
)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Library:
    root = tmp_path_factory.mktemp("library")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "orchard.md").write_text(ORCHARD, encoding="utf-8")
    pipe = Pipeline(make_settings(root / "data", corpus, max_upload_mb=0.05))
    pipe.ingestor.ingest()
    return Library(pipe, ReadWriteLock())


def _write(folder: Path, name: str, data: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


def _index_state(lib: Library):
    ing = lib.pipeline.ingestor
    return dict(ing.manifest.documents), lib.pipeline.store.count(), sorted(p.name for p in lib.upload_dir.glob("*"))


def _sources(lib: Library, question: str) -> list[str]:
    return [p.source for p in lib.pipeline.retriever.retrieve(question, 3).passages]


@pytest.mark.parametrize(
    "name, safe",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        (".bashrc.txt", "bashrc.txt"),
        ("My Notes (final)?.TXT", "My_Notes_final.txt"),
        ("....", "upload"),
        ("", "upload"),
        ("rapport-été.md", "rapport-été.md"),
        ("ｆｕｌｌ／ｗｉｄｔｈ.txt", "width.txt"),
        ("a." + "x" * 300, "a." + "x" * 117),
    ],
)
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


@given(st.text(max_size=300))
def test_safe_filename_always_stays_in_the_folder(name):
    safe = safe_filename(name)
    folder = Path("/srv/uploads")
    assert safe and len(safe) <= 130
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert (folder / safe).resolve().parent == folder


def test_upload_is_stored_under_a_safe_name_and_searchable_at_once(library, tmp_path):
    assert "lighthouse" not in " ".join(_sources(library, "Who keeps the Zarnobian lighthouse?"))
    src = _write(tmp_path / "in", "light house.txt", LIGHTHOUSE)
    added = library.add(src, "../../light house.txt")
    assert added.status == "added" and added.name == "light_house.txt" and added.chunks >= 1
    assert (library.upload_dir / "light_house.txt").read_text(encoding="utf-8") == LIGHTHOUSE
    assert not (library.upload_dir.parent.parent / "light_house.txt").exists()
    assert _sources(library, "Who keeps the Zarnobian lighthouse?")[0] == "light_house.txt"
    assert any(row[1] == "light_house.txt" for row in library.rows())
    again = library.add(src, "light house.txt")
    assert again.status == "unchanged" and again.doc_id == added.doc_id


@pytest.mark.parametrize(
    "name, data, why",
    [
        ("setup.exe", b"MZ\x90\x00", ".exe cannot be added"),
        ("noext", b"hello", "without an extension"),
        ("big.txt", b"word " * 20000, "over the 0.05 MB limit"),
    ],
)
def test_rejected_before_anything_is_touched(library, tmp_path, name, data, why):
    before = _index_state(library)
    with pytest.raises(LibraryError, match=why):
        library.add(_write(tmp_path, name, data), name)
    assert _index_state(library) == before


@pytest.mark.parametrize(
    "name, data, why",
    [
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage without xref", "PDF"),
        ("fake.pdf", b"this is not a pdf at all", "not a PDF"),
        ("empty.md", b"   \n", "empty"),
        ("binary.txt", b"\x00\x01\x02 binary", "binary"),
    ],
)
def test_unreadable_file_is_rejected_with_the_reason_and_nothing_changes(library, tmp_path, name, data, why):
    before = _index_state(library)
    with pytest.raises(LibraryError, match=why) as err:
        library.add(_write(tmp_path, name, data), name)
    assert str(err.value).startswith(f"{name}: ") and "nothing was changed" in str(err.value)
    assert _index_state(library) == before


def test_the_same_content_under_another_name_is_refused(library, tmp_path):
    before = _index_state(library)
    with pytest.raises(LibraryError, match="already in the library as orchard.md"):
        library.add(_write(tmp_path, "copy-of-orchard.md", ORCHARD), "copy-of-orchard.md")
    assert _index_state(library) == before


def test_bad_new_version_keeps_the_good_one(library, tmp_path):
    good = library.add(_write(tmp_path / "v1", "orchard-notes.txt", ORCHARD.replace("seventeen", "twelve")), "orchard-notes.txt")
    stored = library.upload_dir / "orchard-notes.txt"
    before = _index_state(library)
    with pytest.raises(LibraryError, match="binary"):
        library.add(_write(tmp_path / "v2", "orchard-notes.txt", b"\x00\x00 broken"), "orchard-notes.txt")
    assert _index_state(library) == before
    assert "twelve" in stored.read_text(encoding="utf-8")
    assert library.pipeline.ingestor.manifest.documents[good.doc_id].sha256 == before[0][good.doc_id].sha256
    library.remove(good.doc_id)


def test_remove_an_upload_deletes_its_file_and_passages(library, tmp_path):
    added = library.add(_write(tmp_path, "lamp.txt", LIGHTHOUSE.replace("Zarnobian", "Qestrel")), "lamp.txt")
    assert "lamp.txt" in _sources(library, "Who keeps the Qestrel lighthouse?")
    message = library.remove(added.doc_id)
    assert "Removed" in message and "lamp.txt" in message
    assert not (library.upload_dir / "lamp.txt").exists()
    assert added.doc_id not in library.pipeline.ingestor.manifest.documents
    assert "lamp.txt" not in _sources(library, "Who keeps the Qestrel lighthouse?")
    with pytest.raises(LibraryError, match="no longer in the library"):
        library.remove(added.doc_id)


def test_remove_a_corpus_document_keeps_its_file_and_says_so(library):
    record = next(d for d in library.documents() if d.source == "orchard.md")
    message = library.remove(record.doc_id)
    assert "still in" in message and Path(record.path).exists()
    assert all(d.source != "orchard.md" for d in library.documents())
    library.pipeline.ingestor.ingest()  # the next full ingest brings it back, as the message says
    assert any(d.source == "orchard.md" for d in library.documents())


def test_an_uploaded_pdf_reports_each_page_read_then_its_passages_embedded(library):
    slides = Path(__file__).resolve().parents[1] / "fixtures" / "pdf" / "slides.pdf"
    steps = []
    added = library.add(slides, "slides.pdf", progress=steps.append)
    try:
        assert [str(s) for s in steps if s.unit == "page"] == [f"slides.pdf: page {n}/7" for n in range(1, 8)]
        embedded = [s for s in steps if s.unit == "passage"]
        assert embedded[-1].done == embedded[-1].total == added.chunks and steps[-1] is embedded[-1]
    finally:
        library.remove(added.doc_id)


def test_an_asciidoc_upload_is_read_as_asciidoc(library, tmp_path):
    # the Library offers every type the reader reads; an .adoc file's definition list is searchable text
    src = _write(tmp_path / "in", "vineyard.adoc", "= Vineyard Notes\n:author: Ilsa Marrow\n\nBrambleweft grapes::\n"
                 "  The Brambleweft vineyard's amber grapes ripen in the second week of Zorvember.\n")
    added = library.add(src, "vineyard.adoc")
    assert added.status == "added" and added.chunks >= 1
    assert _sources(library, "When do the Brambleweft amber grapes ripen?")[0] == "vineyard.adoc"
