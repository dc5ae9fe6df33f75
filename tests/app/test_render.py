"""The chat's HTML without a browser: linked markers, citation cards, highlighting, flags, escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from rag.app.render import (
    claims_by_citation,
    excerpt_html,
    link_markers,
    render_answer,
    render_error,
    render_question,
    render_streaming,
    supporting_spans,
)
from rag.domain import Answer, Citation, SentenceCheck

PASSAGE_1 = (
    "The relationship has been transactional for decades. President Biden announced an unconditional "
    "withdrawal of United States forces from Afghanistan in April 2021, after two decades of war.\n\n"
    "Pakistan facilitated the talks between the US and the Taliban. The Doha agreement was signed in 2020."
)
PASSAGE_2 = "China invested heavily in the China-Pakistan Economic Corridor. The corridor links Gwadar to Xinjiang."
PASSAGE_3 = "An unrelated passage about something else entirely, retrieved but never cited."


def _cite(n, text, **kw):
    base = dict(n=n, source=f"00{n}_doc.txt", title=f"Paper {n}", section=f"Section {n}", text=text, score=0.5,
                authors=("Ravale Mohyidin",))
    base.update(kw)
    return Citation(**base)


def _answer(text, citations=None, **kw):
    citations = citations if citations is not None else [_cite(1, PASSAGE_1), _cite(2, PASSAGE_2), _cite(3, PASSAGE_3)]
    return Answer(question="q?", answer=text, abstained=kw.pop("abstained", False), backend=kw.pop("backend", "extractive"),
                  citations=citations, timings={"retrieve_ms": 120.0, "answer_ms": 30.0}, **kw)


class _Tags(HTMLParser):
    """Collects start tags and checks that every non-void element is closed in order."""

    VOID = {"br", "img", "hr", "input", "meta", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.tags, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack}")
        else:
            self.stack.pop()


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    p.close()
    assert not p.errors and not p.stack, (p.errors, p.stack)
    return p


def _text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_markers_link_to_cards_with_matching_ids():
    html = render_answer(_answer("Biden announced an unconditional withdrawal in April 2021. [1] CPEC is big. [2]"), "k1")
    tags = _parse(html).tags
    hrefs = [a["href"] for t, a in tags if t == "a"]
    ids = {a["id"] for t, a in tags if "id" in a}
    assert hrefs == ["#k1-c1", "#k1-c2"]
    assert {"k1-c1", "k1-c2", "k1-c3"} <= ids  # every linked card exists
    assert "[1]" in _text_of(html) and "[2]" in _text_of(html)


def test_card_shows_title_authors_section_and_highlights_the_supporting_sentence():
    html = render_answer(_answer("President Biden announced an unconditional withdrawal of United States forces "
                                 "from Afghanistan in April 2021, after two decades of war. [1]"), "k")
    card = re.search(r'<div class="rag-card" id="k-c1">.*?</details></div>', html).group(0)
    assert "Paper 1" in card and "Ravale Mohyidin" in card and "Section 1" in card and "001_doc.txt" in card
    marks = re.findall(r'<mark class="rag-support">(.*?)</mark>', card)
    # Once in the excerpt, once in the expandable full passage.
    assert marks == ["President Biden announced an unconditional withdrawal of United States forces from Afghanistan in April 2021, after two decades of war."] * 2
    full = re.search(r'<details class="rag-full"><summary>[^<]+</summary><div class="rag-passage">(.*?)</div></details>', card).group(1)
    assert "The Doha agreement was signed in 2020." in full  # the whole passage is there to expand


def test_paraphrased_claim_highlights_the_sentence_with_its_words():
    spans = supporting_spans(PASSAGE_1, ["Islamabad helped bring the Taliban to talks with the US [1]."])
    assert [PASSAGE_1[a:b] for a, b in spans] == ["Pakistan facilitated the talks between the US and the Taliban."]


def test_claim_without_support_in_the_passage_highlights_nothing():
    assert supporting_spans(PASSAGE_2, ["The monsoon season floods Karachi every year."]) == []
    html = excerpt_html(PASSAGE_2, [])
    assert "<mark" not in html and "Gwadar" in html


def test_uncited_passages_are_kept_apart_from_the_sources():
    html = render_answer(_answer("CPEC is a corridor. [2]"), "k")
    sources, _, more = html.partition('<details class="rag-more">')
    assert 'id="k-c2"' in sources and 'id="k-c1"' not in sources
    assert 'id="k-c1"' in more and 'id="k-c3"' in more and "2 more passages" in more


def test_unsupported_sentences_are_flagged_and_supported_ones_are_not():
    # The checker reports sentences without their markers, as rag.answer.grounding does.
    text = "Pakistan facilitated the talks [1]. The Taliban agreed to hold\nelections in 2022 [1]. The deal was signed in 2020. [1]"
    grounding = [
        SentenceCheck("Pakistan facilitated the talks.", (1,), True, 0.8),
        SentenceCheck("The Taliban agreed to hold elections in 2022.", (1,), False, 0.1),
        SentenceCheck("The deal was signed in 2020.", (1,), True, 0.9),
    ]
    html = render_answer(_answer(text, grounding=grounding), "k")
    flagged = re.findall(r'<span class="rag-unsupported"[^>]*>(.*?)<span class="rag-flag">', html)
    assert [_text_of(f) for f in flagged] == ["The Taliban agreed to hold elections in 2022 [1]."]
    assert html.count('class="rag-cite"') == 3  # markers stay linked inside and outside the flag
    assert "67% of sentences supported" in html
    _parse(html)


def test_every_marker_form_links_to_its_cards():
    html = render_answer(_answer("Alpha beta [1-2]. Gamma delta [Passage 3]. Epsilon [1][3]."), "k")
    hrefs = re.findall(r'href="#k-c(\d)"', html)
    assert hrefs == ["1", "2", "3", "1", "3"]
    assert "rag-more" not in html  # all three passages were cited, so all are source cards


def test_abstained_answer_has_its_own_look_and_no_sources():
    html = render_answer(_answer("The documents don't answer this question.", abstained=True), "k")
    assert 'class="rag-answer rag-abstained"' in html
    assert "Not in the documents" in html
    assert "rag-sources" not in html and "rag-cite" not in html
    assert "Closest passages" in html  # shown for reference, collapsed
    _parse(html)


def test_fallback_answer_says_the_model_was_not_used_and_why():
    fb = {"backend": "llamacpp", "reason": "connection refused <b>"}
    html = render_answer(_answer("CPEC is a corridor. [2]", fallback=fb), "k")
    assert 'class="rag-answer rag-fallback"' in html
    assert "Fallback answer" in html and "llamacpp" in html and "connection refused &lt;b&gt;" in html
    assert "rag-banner-abstained" not in html


def test_interrupted_answer_says_so():
    html = render_answer(_answer("CPEC is a corridor. [2]", interrupted=True), "k")
    assert "cut short" in html


def test_document_text_is_escaped_everywhere():
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    cites = [_cite(1, f"A passage with {evil} inside. It says the corridor matters.", title=evil, section=evil,
                   source=evil, authors=(evil,))]
    html = render_answer(_answer(f"The corridor matters {evil}. [1]", citations=cites, fallback={"reason": evil}), "k")
    tags = {t for t, _ in _parse(html).tags}
    assert "script" not in tags and "img" not in tags
    assert "onerror=" not in html.replace("onerror=&quot;", "")
    assert "&lt;script&gt;" in html
    assert "(an empty question)" in render_question("  \n")
    for other in (render_question(evil), render_streaming(evil), render_error(evil)):
        assert "<script" not in other and "<img" not in other


def test_html_has_no_line_breaks_that_would_end_the_markdown_html_block():
    html = render_answer(_answer("Line one.\n\nLine two [1]."), "k")
    assert "\n" not in html
    assert "<br><br>" in html  # paragraph breaks survive as markup


def test_markers_for_numbers_without_a_citation_stay_plain_text():
    out = link_markers("See [1, 2] and [9].", "k", {1, 2})
    assert out.count("<a ") == 2 and "[9]" in out
    assert _text_of(out) == "See [1, 2] and [9]."


def test_brackets_a_quoted_sentence_holds_are_text_and_its_marker_a_link():
    # an extractive answer quotes a regex class; the checker's sentence holds it, so it is no citation
    text = "The class [0-9] matches any digit. [1] Read sys.argv[2] for the second argument. [2]"
    grounding = [SentenceCheck("The class [0-9] matches any digit.", (1,), True, 0.9),
                 SentenceCheck("Read sys.argv[2] for the second argument.", (2,), False, 0.1)]
    html = render_answer(_answer(text, grounding=grounding), "k")
    assert re.findall(r'href="#k-c(\d)"', html) == ["1", "2"]
    assert "The class [0-9] matches any digit." in _text_of(html) and "sys.argv[2] for" in _text_of(html)
    _parse(html)
    # R's output prefix "[1]" is the same string as the citation beside it: only the citations link
    text = "Call is.regular with strict = TRUE: [1] R> is.regular(zr1)\n[1] TRUE\nR> is.regular(zr1, strict = TRUE)\n[1] FALSE [1]"
    sentence = "Call is.regular with strict = TRUE: R> is.regular(zr1)\n[1] TRUE\nR> is.regular(zr1, strict = TRUE)\n[1] FALSE"
    html = render_answer(_answer(text, grounding=[SentenceCheck(sentence, (1,), True, 0.9)]), "k")
    assert html.count('class="rag-cite"') == 2 and "[1] TRUE" in _text_of(html) and "[1] FALSE" in _text_of(html)
    assert re.search(r"TRUE: <span class=\"rag-ref\">", html) and re.search(r"FALSE <span class=\"rag-ref\">", html)


def test_claims_are_grouped_by_the_citations_of_their_sentences():
    claims = claims_by_citation("Alpha beta gamma. [1] Delta epsilon. [1, 2] Zeta eta.", None)
    assert claims == {1: ["Alpha beta gamma. [1]", "Delta epsilon. [1, 2]"], 2: ["Delta epsilon. [1, 2]"]}


def test_long_passages_get_a_short_excerpt_around_the_support():
    filler = " ".join(f"Sentence number {i} talks about nothing in particular." for i in range(60))
    text = filler + " The treaty was signed in Tashkent in 1966. " + filler
    spans = supporting_spans(text, ["The treaty was signed in Tashkent in 1966."])
    html = excerpt_html(text, spans)
    assert "<mark" in html and "Tashkent" in html
    assert len(_text_of(html)) < len(text) / 4
    assert _text_of(html).startswith("… ") and _text_of(html).endswith(" …")


@given(st.text(max_size=300), st.text(max_size=300))
def test_any_text_renders_to_balanced_escaped_html(answer_text, passage):
    html = render_answer(_answer(answer_text + " [1]", citations=[_cite(1, passage or "x", title=passage)]), "k")
    tags = _parse(html).tags
    assert {t for t, _ in tags} <= {"div", "span", "a", "strong", "blockquote", "mark", "details", "summary", "br"}
    assert "\n" not in html


def test_searched_for_is_shown_escaped_only_when_it_differs_from_the_question():
    c = [_cite(1, "Davis was allowed to leave Pakistan.")]
    typed = render_answer(_answer("Davis was allowed to leave Pakistan [1].", c, searched_for="q?"), "k1")
    assert "rag-searched" not in typed
    html = render_answer(_answer("Davis was allowed to leave Pakistan [1].", c, searched_for="How did <b>Davis</b> leave?"), "k1")
    assert 'class="rag-searched"' in html and "searched for: How did &lt;b&gt;Davis&lt;/b&gt; leave?" in html
    assert "<b>" not in html


def test_streaming_shows_the_passages_being_read_until_the_first_token():
    reading = [_cite(1, "x", title="<i>Paper</i>"), _cite(2, "y")]
    waiting = render_streaming("", reading)
    assert "reading 2 passages\u2026" in waiting and "&lt;i&gt;Paper&lt;/i&gt;" in waiting and "<i>" not in waiting
    started = render_streaming("Pakistan joined", reading)
    assert "reading 2" not in started and "rag-reading" in started and "Pakistan joined" in started
    assert "rag-reading" not in render_streaming("Pakistan joined")
