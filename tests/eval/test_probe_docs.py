"""The probes' document lists (eval/probes/sources.json) and how their documents are put in place."""

import gzip

import pytest

from eval.probe_docs import PROBES, ProbeDocsError, fetch_probe, load_sources


def test_every_probe_names_its_questions_packages_and_files():
    sources = load_sources()
    assert "mathprog_docutils" in sources and "bash_man_pdf" in sources
    for name, probe in sources.items():
        assert (PROBES / probe["questions"]).is_file(), name
        packages = {p["name"] for p in probe["packages"]}
        assert all(p["version"] for p in probe["packages"]), name
        names = [f["name"] for f in probe["files"]]
        assert names and len(names) == len(set(names)), name
        assert all(f["package"] in packages and f["path"].startswith("/") for f in probe["files"]), name


def test_a_probes_files_are_copied_under_their_names_and_gunzipped(tmp_path):
    # an unpacked package in the cache, as `apt-get download` and `dpkg-deb -x` leave it
    root = tmp_path / "cache" / "root" / "demo-doc_1.0-1"
    doc = root / "usr/share/doc/demo-doc"
    doc.mkdir(parents=True)
    (doc / "guide.txt.gz").write_bytes(gzip.compress(b"Title\n=====\n\nText.\n"))
    (doc / "manual.pdf").write_bytes(b"%PDF-1.4 demo")
    (doc / "link.pdf").symlink_to("manual.pdf")
    probe = {"questions": "x.jsonl", "packages": [{"name": "demo-doc", "version": "1.0-1"}],
             "files": [{"package": "demo-doc", "path": "/usr/share/doc/demo-doc/guide.txt.gz", "name": "guide.txt"},
                       {"package": "demo-doc", "path": "/usr/share/doc/demo-doc/link.pdf", "name": "demo.pdf"}]}
    docs = fetch_probe("demo", probe, tmp_path / "probes", tmp_path / "cache")
    assert (docs / "guide.txt").read_text() == "Title\n=====\n\nText.\n"
    assert (docs / "demo.pdf").read_bytes() == b"%PDF-1.4 demo"
    probe["files"].append({"package": "demo-doc", "path": "/usr/share/doc/demo-doc/missing.html", "name": "m.html"})
    with pytest.raises(ProbeDocsError, match="missing.html"):
        fetch_probe("demo", probe, tmp_path / "probes", tmp_path / "cache")
