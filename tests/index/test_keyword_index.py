"""The BM25 keyword index: scores, a build streamed from the store, a stable row order."""

from __future__ import annotations

import math

from rag.index.keyword_index import KeywordIndex
from rag.language import content_words, stem

TEXTS = {
    "a": "The treaty fixed the border between the two provinces.",
    "b": "Trade across the border grew after the treaty; the harbour reopened.",
    "c": "The council met the envoy in the harbour town.",
    "d": "",
}


def _bm25(query: str, texts: dict[str, str], k1: float = 1.5, b: float = 0.75) -> dict[str, float]:
    """BM25 written out term by term, to check the matrix arithmetic against."""
    docs = {i: content_words(t) for i, t in texts.items()}
    avgdl = sum(len(d) for d in docs.values()) / len(docs)
    out = {}
    for i, words in docs.items():
        score = 0.0
        for term in set(content_words(query)):
            df = sum(term in d for d in docs.values())
            tf = words.count(term)
            if tf:
                idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
                score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(words) / avgdl))
        out[i] = score
    return out


def test_scores_are_bm25(tmp_path):
    index = KeywordIndex(tmp_path / "kw")
    index.build(list(TEXTS), iter(TEXTS.values()))  # any iterable, read once
    expected = _bm25("border treaty harbour", TEXTS)
    got = dict(index.search("border treaty harbour", 10))
    assert set(got) == {i for i, s in expected.items() if s > 0}
    for i, s in got.items():
        assert abs(s - expected[i]) < 1e-4
    assert abs(index.scores_for("harbour", ["c", "d"])["c"] - _bm25("harbour", TEXTS)["c"]) < 1e-4
    assert index.scores_for("harbour", ["c", "d"])["d"] == 0.0


def test_rebuild_streams_the_store_and_orders_rows_by_document(tmp_path):
    from rag.index.vectors import StoredChunk

    chunks = [StoredChunk(id=i, doc_id=f"doc-{n % 2}", text=t, context=t, source=f"{n % 2}.txt", title="", section="", index=n)
              for n, (i, t) in enumerate(TEXTS.items())]

    class Store:  # the one method rebuild reads, in the store's own (unsorted) order
        def iter_chunks(self):
            yield from reversed(chunks)

    index = KeywordIndex(tmp_path / "kw")
    index.rebuild(Store())
    assert index.ids == [c.id for c in sorted(chunks, key=lambda c: c.sort_key)]
    reference = KeywordIndex(tmp_path / "ref")
    reference.build(list(TEXTS), list(TEXTS.values()))
    assert dict(index.search("border treaty", 10)) == dict(reference.search("border treaty", 10))
    loaded = KeywordIndex(tmp_path / "kw").load()
    assert loaded.ids == index.ids and dict(loaded.search("envoy", 3)) == dict(index.search("envoy", 3))


def test_an_index_made_with_other_tokens_is_rebuilt(tmp_path):
    import json

    class Store:
        def all_ids(self):
            return list(TEXTS)

    index = KeywordIndex(tmp_path / "kw")
    index.build(list(TEXTS), list(TEXTS.values()))
    index.save()
    assert KeywordIndex(tmp_path / "kw").is_current(Store())
    meta = json.loads((tmp_path / "kw" / "meta.json").read_text())
    del meta["tokens"]  # written before the tokenizer had a version
    (tmp_path / "kw" / "meta.json").write_text(json.dumps(meta))
    assert not KeywordIndex(tmp_path / "kw").is_current(Store())


def test_an_abbreviation_is_known_when_the_collection_spells_it_out(tmp_path):
    import json

    class Store:
        def all_ids(self):
            return ["x", "y"]

    index = KeywordIndex(tmp_path / "kw")
    index.build(["x", "y"], ["This version of the GNU Lesser General Public License incorporates version 3.",
                             "The Debian Free Software Guidelines apply. Trade Act rules differ."])
    # "LGPL" and "DFSG" are in no chunk, but their names are; two capitalised words are no name to abbreviate.
    assert index.knows("lgpl") and index.knows("dfsg") and not index.knows("ta") and not index.knows("mpl")
    index.save()
    loaded = KeywordIndex(tmp_path / "kw").load()
    assert loaded.knows("lgpl") and loaded.is_current(Store())
    meta = json.loads((tmp_path / "kw" / "meta.json").read_text())
    del meta["format"], meta["initials"]  # saved before indexes kept initials: rebuilt
    (tmp_path / "kw" / "meta.json").write_text(json.dumps(meta))
    assert not KeywordIndex(tmp_path / "kw").is_current(Store())


def test_the_index_keeps_its_words_as_written(tmp_path):
    """The speller corrects to words a chunk contains as written, not to stems (rag/retrieve/spelling.py)."""
    index = KeywordIndex(tmp_path / "kw")
    index.build(["x"], ["It is impossible to comply; the terms imposed on you stand."])
    assert index.writes("impossible") and index.writes("imposed")
    assert not index.writes("imposible") and index.knows("impos")  # the typo's stem is a word's stem, not a word
    index.save()
    assert KeywordIndex(tmp_path / "kw").load().writes("impossible")


def test_a_compound_is_known_by_its_parts(tmp_path):
    """A question's "BSD-licensed" is no term the collection lacks when it writes "BSD" and "licensed"."""
    index = KeywordIndex(tmp_path / "kw")
    index.build(["x"], ["Code licensed under the BSD terms."])
    assert index.knows(stem("bsd-licensed")) and index.knows(stem("under-the-terms"))
    assert not index.knows(stem("bsd-compatible")) and not index.knows(stem("of-the"))



def test_a_compound_no_chunk_holds_whole_is_searched_by_its_parts(tmp_path):
    index = KeywordIndex(tmp_path / "kw")
    index.build(["bsd", "style", "other"], ["Code licensed under the BSD terms.", "An old-style comparison function.",
                                            "Nothing of the kind here."])
    assert [cid for cid, _ in index.search("BSD-licensed code?", 3)] == ["bsd"]
    # a compound the collection writes whole is matched whole, not by "old" and "style" apart
    assert index._terms("old-style function") == ["old-styl", "function"]
    # each part as the index spells it: the compound's last part is stemmed already ("licens", not "licen")
    assert index._terms("BSD-licensed code") == ["bsd", "licens", "code"]
