"""The Answerer: question -> retrieve -> answer (extractive, or an LLM) -> checked citations -> Answer."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace

from rag.citations import Quotes
from rag.config import Settings
from rag.answer.answerability import Gate, measure
from rag.answer.extractive import Evidence, ExtractiveAnswerer, admissible, not_said_again
from rag.answer.judge import judged_no
from rag.answer.questions import QuestionError, validate_question, what_is_asked
from rag.answer.grounding import Grounding, check, is_meta, restates, support_text
from rag.answer.llms import LLM, LLMError, check_backend, estimate_tokens, get_llm
from rag.answer.prompt import (ABSTAIN_TEXT, PromptError, best_per_passage, build_prompt, evidence_budget, evidence_windows,
                               template)
from rag.retrieve.condenser import accept_condensed, condense_messages, read_reply
from rag.retrieve.conversation import FollowUps, Standalone, continued_documents
from rag.retrieve.query import answering_document
from rag.retrieve.retriever import Retrieval, Retriever
from rag.retrieve.spelling import Speller
from rag.domain import Answer, Citation, Exchange, Passage

__all__ = ["ABSTAIN_TEXT", "Answerer", "QuestionError", "validate_question"]

log = logging.getLogger(__name__)


@dataclass
class Turn:
    """One question on its way through the answerer: what was asked, what retrieval found, the
    evidence chosen, and the clocks the timings are taken from."""

    question: str  # as typed
    query: str  # the standalone query searched and answered (the question itself without history)
    backend: str
    strict: bool
    retrieval: Retrieval
    chosen: list[Evidence]
    started: float  # before retrieval
    answering: float  # after retrieval
    ranked: list[tuple[int, str]] = field(default_factory=list)  # evidence for the prompt: (passage, text), best first
    judge_ms: float = 0.0  # the model's yes/no on the best evidence (RAG_LLM_JUDGE)
    said: str = ""  # the conversation's last answer: a follow-up asks for something it did not say
    asked: str = ""  # the question as typed, cleaned and spelled: the names it gives must be found

    def ms_since(self, t: float) -> float:
        return (time.perf_counter() - t) * 1000


class Answerer:
    """Answers questions over the index; one instance serves many questions (models load once)."""

    def __init__(self, settings: Settings, retriever: Retriever, extractive: ExtractiveAnswerer, gate: Gate | None = None,
                 speller: Speller | None = None):
        self.settings = settings
        self.speller = speller  # corrects typos against the collection's words; None leaves questions as typed
        self.gate = gate or Gate.load()
        self.retriever = retriever
        self.extractive = extractive
        self._llms: dict[str, LLM] = {}
        self._llms_lock = threading.Lock()
        self.followups = FollowUps(retriever.embedder.embed_query)

    def ask(
        self, question: str, k: int | None = None, backend: str | None = None, strict: bool | None = None,
        history: Sequence[Exchange] = (),
    ) -> Answer:
        """The complete answer (the last item of `stream`)."""
        for item in self.stream(question, k, backend=backend, strict=strict, history=history):
            if isinstance(item, Answer):
                return item
        raise RuntimeError("answer stream ended without an answer")  # pragma: no cover

    def stream(
        self, question: str, k: int | None = None, backend: str | None = None, strict: bool | None = None,
        history: Sequence[Exchange] = (), reading: Callable[[list[Citation]], None] | None = None,
    ) -> Iterator[str | Answer]:
        """Text deltas as the answer is produced, then the final Answer.

        `backend` overrides the configured LLM backend for this question; `strict` the setting.
        `history` holds the conversation's earlier turns, oldest first: a follow-up is turned into a
        standalone query (rag/retrieve/conversation.py) and only what that query retrieves now is
        evidence; earlier answers' sources are never reused. Raises QuestionError on a bad question
        and ValueError on an unknown backend name; a backend that fails yields the extractive answer
        instead, marked with `fallback`. Before an LLM starts, `reading` is called with the passages it
        is given (numbered as in its prompt) and an empty delta is yielded, so a client can show them
        while it waits for the first token.
        """
        q = validate_question(question, self.settings)
        name = check_backend(backend or self.settings.llm.backend)
        strict = self.settings.answer.strict if strict is None else strict
        started = time.perf_counter()
        asked = what_is_asked(q)  # without "Hi, ..." and "Thanks!" around it
        asked = self.speller.correct(asked) if self.speller else asked
        history = [replace(e, question=what_is_asked(e.question)) for e in history]
        standalone = self._standalone(asked, history, name)
        sq = standalone.query
        retrieval = self.retriever.retrieve_all(standalone.queries, k, prefer=continued_documents(history, asked, sq))
        turn = Turn(q, sq, name, strict, retrieval, [], started, time.perf_counter(), said=history[-1].answer if history else "",
                    asked=asked)
        answer = yield from self._answer(turn, reading)
        answer.searched_for = sq
        if history:
            answer.timings["condense_ms"] = standalone.ms
        yield answer

    def _answer(self, turn: Turn, reading: Callable[[list[Citation]], None] | None = None):
        """Yields the answer's text deltas and returns the Answer for the turn's retrieval."""
        q, name, retrieval = turn.query, turn.backend, turn.retrieval
        named = answering_document(turn.question, self.retriever.names(), self.retriever.authors())
        evidence = not_said_again(self.extractive.candidates(q, retrieval.query_vector, retrieval.passages, named), turn.said)
        turn.chosen = self.extractive.select(evidence, retrieval.passages)
        signals = measure(q, evidence, retrieval.passages, retrieval.ranks, self.extractive, turn.asked or None)
        threshold = self.settings.answer.answerability_threshold
        if not turn.chosen or not self.gate.answers(signals, threshold):
            # The passages do not answer (at best they are related): abstain before any LLM is asked.
            answer = self._abstain(turn, related=bool(turn.chosen) and self.gate.related(signals, threshold))
        elif name == "extractive":
            answer = self._extractive(turn)
        else:
            turn.chosen, turn.retrieval = _evidence_first(turn.chosen, retrieval, admissible(q, retrieval.passages))
            turn.ranked = _ranked(turn.chosen, evidence, retrieval.passages, turn.retrieval.passages)
            if reading is not None:
                shown = turn.retrieval.passages[: self.settings.llm.prompt_passages]
                reading(_citations(shown, list(range(len(shown)))))
                yield ""  # the client's turn to show them before the model's first token
            no = False
            if self.settings.llm.judge:
                no, turn.judge_ms = judged_no(lambda: self.llm(name), q, turn.chosen, turn.retrieval.passages)
            if not no:
                return (yield from self._generate(turn))
            answer = self._abstain(turn, related=True)
            answer.timings["judge_ms"] = turn.judge_ms
        yield answer.answer
        return answer

    def _standalone(self, q: str, history: Sequence[Exchange], backend: str) -> Standalone:
        """What the question stands for in its conversation: rewritten by the LLM when one answers
        (or RAG_CONVERSATION_CONDENSE=llm names one) and its rewrite passes the checks, else by the rules."""
        c = self.settings.conversation
        history = list(history)[-c.max_turns:]
        if not history or c.condense == "off":
            return Standalone.typed(q)
        t0 = time.perf_counter()
        writer = backend if backend != "extractive" else self.settings.llm.backend if c.condense == "llm" else "extractive"
        if c.condense in ("auto", "llm") and writer != "extractive" and self.followups.may_lean_on(q, history):
            try:
                llm = self.llm(writer)
                messages = condense_messages(template("condense"), history, q, c.history_tokens,
                                             getattr(llm, "count_tokens", estimate_tokens))
                with closing(iter(llm.stream(messages))) as deltas:
                    condensed = accept_condensed(read_reply(deltas, q), q)
            except LLMError as e:
                log.info("condensing with %s failed (%s); resolving the follow-up by rules", writer, e)
                condensed = None
            if condensed:
                queries = (condensed, q) if condensed.lower() != q.lower() else (q,)
                return Standalone(condensed, queries, "llm", (time.perf_counter() - t0) * 1000)
        rules = self.followups.standalone(q, history)
        return replace(rules, ms=(time.perf_counter() - t0) * 1000)

    def llm(self, name: str) -> LLM | None:
        """The backend `name`, built once and kept (a local model loads once); LLMError if it cannot be."""
        with self._llms_lock:
            if name not in self._llms:
                self._llms[name] = get_llm(self.settings, name)
            return self._llms[name]

    def _generate(self, turn: Turn):
        """Stream the LLM's answer (yields deltas) and return the checked Answer, or the fallback."""
        s = self.settings
        name, q, retrieval = turn.backend, turn.query, turn.retrieval
        try:
            llm = self.llm(name)
            count = getattr(llm, "count_tokens", estimate_tokens)
            shown, texts = retrieval.passages[: s.llm.prompt_passages], None
            if s.llm.evidence == "windows":
                texts = evidence_windows(shown, best_per_passage(turn.ranked, len(turn.chosen), s.llm.window_best), s.llm.window_sentences)
            elif s.llm.evidence == "budget":
                order, texts = evidence_budget(retrieval.passages, turn.ranked, s.llm.window_sentences, s.llm.evidence_tokens, count)
                shown = [retrieval.passages[i] for i in order]
            prompt = build_prompt(q, shown, s.llm.context_tokens, s.llm.max_tokens, count, texts)
        except (LLMError, PromptError) as e:
            return (yield from self._fallback(turn, str(e)))
        parts: list[str] = []
        first: float | None = None
        failure: LLMError | None = None
        for attempt in range(s.llm.retries + 1):
            try:
                with closing(iter(llm.stream(prompt.messages))) as deltas:
                    for delta in deltas:
                        first = first or time.perf_counter()
                        parts.append(delta)
                        yield delta
                failure = None
                break
            except LLMError as e:
                failure = e
            except Exception as e:  # a backend bug must not take the product down
                failure = LLMError(f"the {name} backend failed: {type(e).__name__}: {e}")
            if parts or not failure.transient or attempt == s.llm.retries:
                break
            log.info("%s backend: %s; retrying (%d of %d)", name, failure, attempt + 1, s.llm.retries)
            time.sleep(min(4.0, 0.5 * 2**attempt))
        text = "".join(parts)
        if failure is None and not text.strip():
            failure = LLMError("the model returned an empty answer")
        if failure is not None:
            return (yield from self._fallback(turn, str(failure), partial=text))
        t_gen = time.perf_counter()
        grounding = self._check(text, prompt.passages, turn)
        abstained = grounding.abstain or _abstains(text, grounding)
        # Claims the checker supports not at all are not shown as an answer: the passages are only
        # related. The model's text stays available (`withheld`) for a user who wants to read it.
        withheld = None
        if not abstained and grounding.sentences and not any(c.supported for c in grounding.sentences):
            abstained, withheld = True, text.strip()
        if not abstained and restates(q, text, [p.text for p in prompt.passages]):
            reason = "the model restated the question without answering it"
            return (yield from self._fallback(turn, reason))
        t_end = time.perf_counter()
        timings = {
            "retrieve_ms": retrieval.ms,
            "first_token_ms": ((first or t_gen) - turn.started) * 1000,
            "generate_ms": (t_gen - turn.answering) * 1000,
            "check_ms": (t_end - t_gen) * 1000,
            "answer_ms": (t_end - turn.answering) * 1000,
            "total_ms": (t_end - turn.started) * 1000,
        }
        if s.llm.judge:
            timings["judge_ms"] = turn.judge_ms
        return Answer(
            question=turn.question, answer=ABSTAIN_TEXT if grounding.abstain or withheld else grounding.text, abstained=abstained,
            backend=name, citations=_citations(prompt.passages, list(range(len(prompt.passages)))),
            timings=timings, grounding=[] if abstained else grounding.sentences, passages_dropped=prompt.dropped,
            related=withheld is not None, withheld=withheld,
        )

    def _fallback(self, turn: Turn, reason: str, partial: str = ""):
        """The extractive answer in place of a failed backend (yields its text, returns the Answer).
        After a stream cut mid-way the partial text is kept, marked interrupted, before it."""
        name, retrieval = turn.backend, turn.retrieval
        log.warning("the %s backend failed (%s); answering extractively", name, reason)
        if not partial.strip():
            answer = self._extractive(turn)
            yield answer.answer
        else:
            # Number passages in retrieval order: the prompt's numbering, which the partial text uses.
            tail = " \u2026\n\n" + " ".join(f"{e.text} [{e.passage + 1}]" for e in turn.chosen)
            yield tail
            citations = _citations(retrieval.passages, list(range(len(retrieval.passages))))
            grounding = self._check(partial.rstrip() + tail, retrieval.passages, turn)
            answer = Answer(
                question=turn.question, answer=ABSTAIN_TEXT if grounding.abstain else grounding.text, abstained=grounding.abstain,
                backend="extractive", citations=citations,
                timings={"retrieve_ms": retrieval.ms, "answer_ms": turn.ms_since(turn.answering)},
                grounding=grounding.sentences, interrupted=True,
            )
        answer.backend = "extractive"
        answer.fallback = {"from": name, "reason": reason}
        return answer

    # --- the extractive path -----------------------------------------------------------------

    def _extractive(self, turn: Turn) -> Answer:
        """The passages' best sentences, each cited; checked like any answer."""
        chosen, retrieval = turn.chosen, turn.retrieval
        order = _citation_order([e.passage for e in chosen], len(retrieval.passages))
        number = {p: n for n, p in enumerate(order, 1)}
        quotes = Quotes(len(order))  # each sentence is checked as the one claim it is, its brackets no citations
        text = " ".join(f"{quotes.hide(e.text)} [{number[e.passage]}]" for e in chosen)
        grounding = self._check(text, [retrieval.passages[i] for i in order], turn)
        if grounding.abstain:
            return self._abstain(turn, backend="extractive")
        return Answer(
            question=turn.question, answer=quotes.show(grounding.text), abstained=False, backend="extractive",
            citations=_citations(retrieval.passages, order),
            timings={"retrieve_ms": retrieval.ms, "answer_ms": turn.ms_since(turn.answering)},
            grounding=[replace(g, sentence=quotes.show(g.sentence)) for g in grounding.sentences],
        )

    def _check(self, text: str, numbered: list[Passage], turn: Turn) -> Grounding:
        sources = [support_text(p.title, p.section, p.text, p.authors) for p in numbered]
        return check(text, sources, strict=turn.strict, min_coverage=self.settings.answer.citation_min_coverage,
                     question=turn.query)

    def _abstain(self, turn: Turn, backend: str | None = None, related: bool = False) -> Answer:
        passages = turn.retrieval.passages
        return Answer(
            question=turn.question, answer=ABSTAIN_TEXT, abstained=True, backend=backend or turn.backend,
            citations=_citations(passages, list(range(len(passages)))), related=related and bool(passages),
            timings={"retrieve_ms": turn.retrieval.ms, "answer_ms": turn.ms_since(turn.answering)},
            grounding=[],
        )


def _evidence_first(chosen: list[Evidence], retrieval: Retrieval, usable: list[int]) -> tuple[list[Evidence], Retrieval]:
    """The passages the model sees: those holding the best evidence sentences first (a small model
    leans on passage [1]), then the others that can answer (`usable`); the rest are left out."""
    cited = [e.passage for e in chosen]
    order = [i for i in _citation_order(cited, len(retrieval.passages)) if i in cited or i in usable]
    new_index = {old: new for new, old in enumerate(order)}
    return ([replace(e, passage=new_index[e.passage]) for e in chosen],
            replace(retrieval, passages=[retrieval.passages[i] for i in order]))


def _ranked(chosen: list[Evidence], evidence: list[Evidence], before: list[Passage], after: list[Passage]) -> list[tuple[int, str]]:
    """The evidence a prompt quotes, best first, as (index in `after`, text): the chosen answer
    (already numbered as `after`, its sentences completed), then every scored candidate sentence."""
    where = {id(p): i for i, p in enumerate(after)}
    ranked = [(e.passage, e.text) for e in chosen]
    for e in evidence:  # best first
        i = where.get(id(before[e.passage]))
        if i is not None:
            ranked.append((i, e.text))
    return ranked


def _abstains(text: str, grounding: Grounding) -> bool:
    """Did the model say the passages lack the answer, without a supported, cited claim besides?"""
    said = ABSTAIN_TEXT.lower().rstrip(".") in text.lower().replace("\u2019", "'") or is_meta(text)
    return said and not any(c.supported and c.citations for c in grounding.sentences)


def _citation_order(cited: list[int], total: int) -> list[int]:
    """Passage indexes numbered as cited first (in order of first citation), then the rest."""
    order = list(dict.fromkeys(cited))
    return order + [i for i in range(total) if i not in order]


def _citations(passages: list[Passage], order: list[int]) -> list[Citation]:
    return [
        Citation(n=n, source=passages[i].source, title=passages[i].title, section=passages[i].section,
                 text=passages[i].text, score=round(passages[i].score, 4), authors=passages[i].authors,
                 page=passages[i].page, page_end=passages[i].page_end, heading_path=passages[i].heading_path,
                 doc_id=passages[i].doc_id, start=passages[i].start, end=passages[i].end)
        for n, i in enumerate(order, 1)
    ]
