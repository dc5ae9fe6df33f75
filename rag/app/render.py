"""HTML for the web chat: answers with linked [n] markers, citation cards, and status banners.

Pure functions of the domain types, testable without a browser. Documents are untrusted input,
so every piece of text from a document, a question or an answer is HTML-escaped here. The HTML
has no line breaks: the chat renders messages as Markdown, and a blank line would end the HTML
block and let Markdown loose on document text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape

from rag.citations import MARKER, cited_numbers, marker_numbers, shield, unshield
from rag.language import content_words, split_sentences
from rag.domain import Answer, Citation, SentenceCheck
from rag.app.sources import link_text, source_href

EXCERPT_CHARS = 420
CLOSEST_SHOWN = 3


def render_answer(answer: Answer, key: str) -> str:
    """The finished answer: banner, answer text with linked markers, then its citation cards.

    `key` makes the card anchors unique within a conversation (one key per answer).
    """
    key = _safe_key(key)
    kind = "rag-abstained" if answer.abstained else "rag-fallback" if answer.fallback else "rag-answered"
    parts = [f'<div class="rag-answer {kind}" data-backend="{_inline(answer.backend)}">', _searched(answer), _banner(answer)]
    if answer.abstained:
        parts.append(f'<div class="rag-answer-text">{_text(answer.answer)}</div>')
        parts.append(_closest(answer.citations[:CLOSEST_SHOWN], key, answer.related))
        if answer.withheld:
            parts.append('<details class="rag-withheld"><summary>Show the model\'s unsupported answer</summary>'
                         f'<div class="rag-unsupported-text">{_text(answer.withheld)}</div></details>')
    else:
        known = {c.n for c in answer.citations}
        parts.append(f'<div class="rag-answer-text">{_answer_body(answer.answer, answer.grounding, key, known)}</div>')
        if answer.interrupted:
            parts.append('<div class="rag-note">The answer was cut short before it finished.</div>')
        parts.append(_sources(answer, key))
    parts.append(_footer(answer))
    parts.append("</div>")
    return "".join(parts)


def render_question(question: str) -> str:
    """The user's question as typed: escaped, so it shows literally and runs nothing."""
    if not question.strip():
        return '<div class="rag-question rag-empty">(an empty question)</div>'
    return f'<div class="rag-question">{_text(question)}</div>'


def render_streaming(text: str, reading: Sequence[Citation] = ()) -> str:
    """The answer while it streams in: plain escaped text and a cursor; before a model's first
    token, "reading N passages…", and the passages it reads listed below."""
    waiting = (f'<div class="rag-progress" role="status">reading {len(reading)} passage{"s" if len(reading) != 1 else ""}\u2026</div>'
               if reading and not text.strip() else "")
    listed = "".join(f'<li>[{c.n}] {_inline(c.title)} \u2014 {_inline(", ".join(x for x in (c.source, c.pages) if x))}</li>'
                     for c in reading)
    sources = f'<ol class="rag-reading">{listed}</ol>' if listed else ""
    return (f'<div class="rag-answer rag-streaming">{waiting}<div class="rag-answer-text">{_text(text)}'
            f'<span class="rag-cursor">▍</span></div>{sources}</div>')


def render_error(message: str) -> str:
    """A question the app could not take (empty, too long, unknown backend), said plainly."""
    return f'<div class="rag-answer rag-error"><div class="rag-banner">⚠ {_text(message)}</div></div>'


def link_markers(escaped: str, key: str, known: set[int]) -> str:
    """Turn [n] markers in already-escaped text into links to card n; unknown numbers stay text."""

    def link(m: re.Match) -> str:
        nums = marker_numbers(m.group(1))
        if not any(n in known for n in nums):
            return m.group(0)
        inner = ", ".join(
            f'<a class="rag-cite" href="#{key}-c{n}" title="Source {n}">{n}</a>' if n in known else str(n) for n in nums
        )
        return f'<span class="rag-ref">[{inner}]</span>'

    return MARKER.sub(link, escaped)


def locate_sentence(text: str, sentence: str, start: int = 0) -> tuple[int, int] | None:
    """Where a checked sentence is in the answer text: the checker reports sentences without their
    markers and with whitespace normalised, so markers and any whitespace may sit between its
    words and before its closing punctuation. The span includes the markers that follow it."""
    m = _sentence_pattern(sentence).search(text, start) if sentence.split() else None
    return (m.start(), m.end()) if m else None


def quoted_brackets(text: str, sentence: str, start: int) -> set[tuple[int, int]]:
    """Where the brackets the checked sentence itself holds ("[0-9]", R's "[1] TRUE") are in the
    answer text, the sentence found at `start`: quoted words, not citations."""
    m = _sentence_pattern(sentence, quoted=True).match(text, start) if MARKER.search(sentence) else None
    return {m.span(g) for g in m.groupdict()} if m else set()


def _sentence_pattern(sentence: str, quoted: bool = False) -> re.Pattern:
    marks = rf"(?:\s*{MARKER.pattern})*"
    parts, n = [], 0
    for w in sentence.split():
        core, punct = re.fullmatch(r"(.*?)([.,;:!?\"')\u201d\u2019]*)", w).groups()
        pieces, at = [], 0
        for b in MARKER.finditer(core) if quoted else ():
            pieces += [re.escape(core[at:b.start()]), f"(?P<q{n}>{re.escape(b.group(0))})"]
            at, n = b.end(), n + 1
        core = "".join(pieces) + re.escape(core[at:])
        parts.append(core + marks + re.escape(punct) if core else re.escape(w))
    return re.compile(rf"{marks}\s+".join(parts) + marks, re.I)


def supporting_spans(passage: str, claims: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) of the passage sentences that best support each claim, in passage order.

    A claim copied from the passage matches exactly; a paraphrase matches the sentence sharing
    most of its content words (at least half of them, and two or more).
    """
    spans = split_sentences(passage)
    found: set[tuple[int, int]] = set()
    for claim in claims:
        claim = _plain(MARKER.sub("", claim))
        if not claim:
            continue
        exact = _exact_span(passage, claim)
        if exact:
            found.add(exact)
            continue
        want = set(content_words(claim))
        best, best_score = None, 0.0
        for a, b in spans:
            shared = want & set(content_words(passage[a:b]))
            score = len(shared) / max(1, len(want))
            if len(shared) >= 2 and score >= 0.5 and score > best_score:
                best, best_score = (a, b), score
        if best:
            found.add(best)
    return sorted(found)


def claims_by_citation(answer_text: str, grounding: list[SentenceCheck] | None) -> dict[int, list[str]]:
    """For each citation number, the answer sentences that cite it."""
    if grounding:
        pairs = [(g.sentence, g.citations or tuple(cited_numbers(g.sentence))) for g in grounding]
    else:
        pairs = [(s, tuple(cited_numbers(s))) for s in answer_sentences(answer_text)]
    out: dict[int, list[str]] = {}
    for sentence, nums in pairs:
        for n in nums:
            out.setdefault(n, []).append(sentence)
    return out


def answer_sentences(text: str) -> list[str]:
    """The answer's sentences, each with the [n] markers that follow it (the splitter starts a
    new sentence at a marker written after the full stop)."""
    spans: list[list[int]] = []
    for a, b in split_sentences(text):
        lead = re.match(rf"(?:\s*{MARKER.pattern})+[.;,]?", text[a:b], re.I)
        if spans and lead:
            spans[-1][1] = a + lead.end()
            a += lead.end()
            while a < b and text[a].isspace():
                a += 1
        if a < b:
            spans.append([a, b])
    return [text[a:b] for a, b in spans]


def render_card(c: Citation, key: str, spans: list[tuple[int, int]], cited: bool = True) -> str:
    """One citation card: title, authors, section, source, a link opening the document at the
    passage, the excerpt around the supporting sentence (highlighted), and the full passage
    expandable in place."""
    key = _safe_key(key)
    meta = [_inline(", ".join(c.authors)), _inline(c.section) if c.section != c.title else "", _inline(c.source),
            _inline(c.pages)]
    meta_html = " · ".join(f"<span>{m}</span>" for m in meta if m)
    cls = "rag-card" if cited else "rag-card rag-card-uncited"
    href = source_href(c)
    open_link = (f' <a class="rag-open" href="{escape(href)}" target="_blank" rel="noopener">{_inline(link_text(c))}</a>'
                 if href else "")
    return (
        f'<div class="{cls}" id="{key}-c{c.n}">'
        f'<div class="rag-card-head"><span class="rag-card-n">[{c.n}]</span> <span class="rag-card-title">{_inline(c.title) or _inline(c.source)}</span></div>'
        f'<div class="rag-card-meta">{meta_html}{open_link} <span class="rag-score" title="similarity to the question">score {c.score:.2f}</span></div>'
        f'<blockquote class="rag-excerpt">{excerpt_html(c.text, spans)}</blockquote>'
        f'<details class="rag-full"><summary>Show the full passage</summary><div class="rag-passage">{highlight_html(c.text, spans)}</div></details>'
        "</div>"
    )


def highlight_html(text: str, spans: list[tuple[int, int]]) -> str:
    """The whole text escaped, with the spans wrapped in <mark>."""
    out, pos = [], 0
    for a, b in spans:
        out.append(_text(text[pos:a]))
        out.append(f'<mark class="rag-support">{_text(text[a:b])}</mark>')
        pos = b
    out.append(_text(text[pos:]))
    return "".join(out)


def excerpt_html(text: str, spans: list[tuple[int, int]], limit: int = EXCERPT_CHARS) -> str:
    """A short view of the passage: the supporting sentences with a sentence of context either
    side (or the opening of the passage when nothing was singled out)."""
    if not spans:
        if len(text) <= limit:
            return _text(text)
        return _text(text[:limit].rsplit(" ", 1)[0]) + " …"
    sentences = split_sentences(text)
    first = next((i for i, s in enumerate(sentences) if s[1] > spans[0][0]), 0)
    last = next((i for i, s in reversed(list(enumerate(sentences))) if s[0] < spans[-1][1]), len(sentences) - 1)
    a = sentences[max(0, first - 1)][0] if sentences else 0
    b = sentences[min(len(sentences) - 1, last + 1)][1] if sentences else len(text)
    # Too long with context: keep only the supporting sentences themselves.
    if b - a > limit * 2:
        a, b = spans[0][0], spans[-1][1]
    inside = [(max(s, a) - a, min(e, b) - a) for s, e in spans if e > a and s < b]
    html = highlight_html(text[a:b], inside)
    return ("… " if a > 0 else "") + html + (" …" if b < len(text.rstrip()) else "")


# --- pieces ------------------------------------------------------------------

def _searched(answer: Answer) -> str:
    """"searched for: ..." when the question was searched as something other than what was typed (a
    follow-up made standalone, a misspelt word corrected)."""
    if not answer.searched_for or answer.searched_for.strip() == answer.question.strip():
        return ""
    tip = "What was searched: the follow-up made standalone from the conversation, or the question with its misspelt words corrected"
    return f'<div class="rag-searched" title="{tip}">searched for: {_inline(answer.searched_for)}</div>'


def _banner(answer: Answer) -> str:
    if answer.abstained and answer.related:
        return (
            '<div class="rag-banner rag-banner-related" role="status"><strong>Related, not an answer.</strong> '
            "The documents touch on this question but none of them answers it, so no answer is given. "
            "The closest passages are below: read them as context, not as the answer.</div>"
        )
    if answer.abstained:
        return (
            '<div class="rag-banner rag-banner-abstained" role="status"><strong>Not in the documents.</strong> '
            "None of the indexed documents answers this question, so no answer is given. "
            "The closest passages are below for reference.</div>"
        )
    if answer.fallback:
        fb = answer.fallback
        wanted = fb.get("backend") or fb.get("from") or fb.get("requested") or "the language model"
        reason = fb.get("reason") or fb.get("error") or "; ".join(f"{k}: {v}" for k, v in fb.items())
        return (
            f'<div class="rag-banner rag-banner-fallback" role="status"><strong>Fallback answer.</strong> '
            f"{_inline(str(wanted))} could not be used ({_inline(str(reason))}), so these sentences are quoted "
            "directly from the documents instead of written by the model.</div>"
        )
    return ""


def _answer_body(text: str, grounding: list[SentenceCheck] | None, key: str, known: set[int]) -> str:
    """The answer with markers linked and unsupported sentences flagged."""
    out, pos = [], 0
    for check in grounding or []:
        span = locate_sentence(text, check.sentence, pos)
        if span is None:
            continue
        a, b = span
        # the checked sentence holds no markers: any bracket in it ("[0-9]") is quoted text, not a citation
        kept: list[str] = []
        own = shield(text[a:b], kept, {(x - a, y - a) for x, y in quoted_brackets(text, check.sentence, a)})
        body = unshield(link_markers(_text(own), key, known), kept)
        out.append(link_markers(_text(text[pos:a]), key, known) + (body if check.supported else (
            '<span class="rag-unsupported" title="The citation checker found no support for this sentence in the cited passages">'
            f'{body}<span class="rag-flag">⚠ not supported by the sources</span></span>')))
        pos = b
    out.append(link_markers(_text(text[pos:]), key, known))
    return "".join(out)


def _sources(answer: Answer, key: str) -> str:
    cited = set(cited_numbers(answer.answer))
    claims = claims_by_citation(answer.answer, answer.grounding)
    used = [c for c in answer.citations if c.n in cited]
    rest = [c for c in answer.citations if c.n not in cited]
    html = ""
    if used:
        cards = "".join(render_card(c, key, supporting_spans(c.text, claims.get(c.n, []))) for c in used)
        html += f'<div class="rag-sources"><div class="rag-sources-head">Sources</div>{cards}</div>'
    if rest:
        cards = "".join(render_card(c, key, [], cited=False) for c in rest)
        html += f'<details class="rag-more"><summary>{len(rest)} more passage{"s" if len(rest) != 1 else ""} retrieved but not cited</summary>{cards}</details>'
    return html


def _closest(citations: list[Citation], key: str, related: bool = False) -> str:
    if not citations:
        return ""
    cards = "".join(render_card(c, key, [], cited=False) for c in citations)
    if related:
        return f'<details class="rag-more rag-related" open><summary>Related passages (not an answer)</summary>{cards}</details>'
    return f'<details class="rag-more"><summary>Closest passages (not an answer)</summary>{cards}</details>'


def _footer(answer: Answer) -> str:
    t = answer.timings
    total = t.get("total_ms") or t.get("retrieve_ms", 0.0) + t.get("answer_ms", 0.0)
    bits = [_inline(answer.backend)]
    if total:
        bits.append(f"{total / 1000:.1f} s")
    frac = answer.supported_fraction
    if frac is not None:
        bits.append(f"{round(frac * 100)}% of sentences supported")
    return f'<div class="rag-footer">{" · ".join(bits)}</div>'


def _text(s: str) -> str:
    """Escaped text with paragraph breaks kept as <br> (no raw line breaks, see module doc)."""
    s = escape(re.sub(r"\r\n?|[\v\f\x1c-\x1e\x85\u2028\u2029]", "\n", s).strip("\n"))
    s = re.sub(r"\n\s*\n", "<br><br>", s)
    return s.replace("\n", " ")


def _inline(s: str) -> str:
    """Escaped one-line text (titles, names, sections)."""
    return escape(" ".join(s.split()))


def _plain(s: str) -> str:
    return " ".join(s.split())


def _exact_span(passage: str, claim: str) -> tuple[int, int] | None:
    """Where the claim occurs in the passage, ignoring differences in whitespace."""
    pattern = r"\s+".join(re.escape(w) for w in claim.rstrip(" .").split())
    m = re.search(pattern, passage) if pattern else None
    if not m:
        return None
    end = m.end()
    while end < len(passage) and passage[end] in ".!?\"'\u201d)":
        end += 1
    return (m.start(), end)


def _safe_key(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", key) or "a"
