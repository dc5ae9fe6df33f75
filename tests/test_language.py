"""Words and sentences: abbreviations, versions and cited sources stay whole."""

import pytest

from rag.language import compose_accents, content_words, split_sentences, words


def _split(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # A source cited after the full stop (a quoted word closes the sentence) stays with it.
        ('It is falling into Beijing\'s "camp." (Kronstadt, 2023).\n\nThe competition matters. It grew.',
         ['It is falling into Beijing\'s "camp." (Kronstadt, 2023).', "The competition matters.", "It grew."]),
        ("The withdrawal ended in 2021. (Getting Answers, n.d.). Next came talks.",
         ["The withdrawal ended in 2021. (Getting Answers, n.d.).", "Next came talks."]),
        # A parenthesis that is a sentence, or opens one, is not a citation of the sentence before.
        ("He left. (This was later denied.) Then he came back.", ["He left.", "(This was later denied.)", "Then he came back."]),
        ("It ended. (2019) was a hard year. Fine.", ["It ended.", "(2019) was a hard year.", "Fine."]),
        ("Dr. Khan met Mr. Biden in the U.S. in May. They talked.", ["Dr. Khan met Mr. Biden in the U.S. in May.", "They talked."]),
        # A full stop between digits is a decimal point (SQLite's docs), a footnote mark after a year is not
        ('"CAST(4.0 AS INT)" returns an integer 4. Since version 3.7.0 (2009-09-11), triggers recurse.',
         ['"CAST(4.0 AS INT)" returns an integer 4.', "Since version 3.7.0 (2009-09-11), triggers recurse."]),
        ("The war ended in 2001.3 The talks began.", ["The war ended in 2001.3", "The talks began."]),
        # ... and a paragraph break after a number still ends its paragraph (GLPK's CSV example, then a footnote)
        ("San-Diego,Topeka,1.4,0.07\n\n1This material is based on RFC 4180.",
         ["San-Diego,Topeka,1.4,0.07", "1This material is based on RFC 4180."]),
    ],
)
def test_sentences(text, expected):
    assert _split(text) == expected


def test_offsets_are_within_the_requested_span():
    text = "Skip this. Take this one. And this. Not this."
    start, end = text.index("Take"), text.index(" Not")
    assert _split(text[:end])[1:] == ["Take this one.", "And this."]
    assert [text[a:b] for a, b in split_sentences(text, start, end)] == ["Take this one.", "And this."]


def test_an_abbreviation_with_a_version_is_the_name_a_document_spells_out():
    # "GPLv3" finds "the GNU GPL version 3"; a word that merely ends in v before a digit stays whole.
    assert content_words("Does GPLv3 or LGPLv2.1 allow it over IPv6?") == ["gpl", "lgpl", "2.1", "allow", "ip"]
    assert "gpl" in content_words("the GNU GPL version 3")
    assert words("dev2 rev3") == ["dev", "2", "rev", "3"]


def test_a_clitic_belongs_to_the_word_before_it():
    # A question's contraction is no word the collection lacks, and a document's curly apostrophe
    # ("don’t") reads as the straight one, not as the words "don" and "t".
    assert words("I'm sure you shouldn't, can't or won't") == ["i", "sure", "you", "should", "can", "or", "will"]
    assert words("Python\u2019s docs don\u2019t say") == words("Python's docs don't say") == ["python", "docs", "do", "say"]
    assert content_words("What's in it? That's all I'll need") == ["need"]
    assert words("O'Reilly and the bsd-licensed code") == ["o'reilly", "and", "the", "bsd-licensed", "code"]


def test_everyday_english_is_the_most_frequent_words_only():
    from rag.language import everyday_stems, stem

    everyday = everyday_stems()
    assert len(everyday) <= 500
    assert {stem("lose"), stem("gave"), stem("let")} <= everyday
    # subject words stay subjects: a question about them still counts what the collection lacks
    assert not {stem("violin"), stem("forest"), stem("office"), stem("cost")} & everyday


def test_tex_spacing_accents_join_the_letter_after_them():
    assert compose_accents("Br\u00a8oker, P\u00b4eter Juh\u00b4asz, J\u00b4er\u02c6ome, Mikul\u00b4\u0131k") == \
        "Br\u00f6ker, P\u00e9ter Juh\u00e1sz, J\u00e9r\u00f4me, Mikul\u00edk"
    assert compose_accents("run `echo` in ~/bin; \u00b4 alone") == "run `echo` in ~/bin; \u00b4 alone"  # code stays


def test_a_reference_pages_closing_field_stays_with_its_sentence():
    item = "`timeout` {number} Kill after this many milliseconds. See caveat at `maxBuffer`. Default: `0`.\n\nNext item here."
    assert [item[a:b] for a, b in split_sentences(item)] == [
        "`timeout` {number} Kill after this many milliseconds.", "See caveat at `maxBuffer`. Default: `0`.", "Next item here."]
    inside = "It spawns a shell. Default: `0`. Then more text follows."  # a field inside a paragraph is split as before
    assert len(split_sentences(inside)) == 3


def test_one_letter_options_are_words_with_their_case():
    # "git clean -X" and "-x" are different options; without its dash "-n" was a single letter, no word at all
    assert content_words("What does git clean -n do?") == ["git", "clean", "-n"]
    assert words("use -X, not -x (or -e)") == ["use", "-X", "not", "-x", "or", "-e"]
    # a hyphen inside a word or a range, and a minus before a number, stay what they were
    assert words("x-ray e-mail pages 1-5 and -1") == ["x-ray", "e-mail", "pages", "1", "5", "and", "1"]
    assert content_words("--dry-run") == ["dry-run"]


def test_a_negated_word_also_counts_as_the_word_it_negates():
    # git-credential-store(1): "store your passwords unencrypted on disk" answers "Are they encrypted?"
    assert content_words("passwords unencrypted") == ["password", "unencrypt", "encrypt"]
    assert "free" in content_words("non-free software") and "support" in content_words("unsupported")
    # too short a rest is no word negated: "union", "under", "unit" stay whole
    assert content_words("union under unit") == ["union", "unit"]
    assert content_words("unless") == ["unless"]
