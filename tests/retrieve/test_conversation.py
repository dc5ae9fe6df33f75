"""Follow-up questions without an LLM, on the real corpus and the real embedding model: pronouns,
ellipsis and "what about" resolved from the earlier turns; questions that stand on their own and
changes of topic searched exactly as typed; abstention still judged on this turn's evidence only."""

from __future__ import annotations

import pytest

from rag.domain import Exchange
from rag.retrieve.conversation import FollowUps, asked_item
from rag.retrieve.cues import references
from rag.retrieve.names import capitalised_phrases, salient_name

DAVIS = "Which CIA contractor killed two pedestrians in Lahore?"
DAVIS_ANSWER = ("Another notable incident was when a CIA contractor, Raymond Davis, killed two Pakistani pedestrians in "
                "Lahore, Pakistan, due to reckless driving. [1]")


@pytest.fixture(scope="module")
def answerer(corpus_pipeline):
    return corpus_pipeline.answerer


@pytest.fixture(scope="module")
def followups(corpus_pipeline) -> FollowUps:
    return FollowUps(corpus_pipeline.embedder.embed_query)


def turn(answerer, question: str) -> Exchange:
    """The exchange as the product answered it (what a client sends back as history)."""
    return Exchange.of(question, answerer.ask(question))


def cited(answer) -> str:
    """The text of the passages the answer cites."""
    from rag.citations import cited_numbers

    return " ".join(answer.citations[n - 1].text for n in cited_numbers(answer.answer))


# --- the cues, on their own -----------------------------------------------------------------------------


@pytest.mark.parametrize("question, cue", [
    ("How did he manage to leave Pakistan afterwards?", "person"),
    ("What did she say then?", "person"),
    ("Who conducted it?", "thing"),
    ("Why did they leave?", "thing"),
    ("What did that study find?", "demonstrative"),
    ("How did Pakistan see that attack?", "demonstrative"),
    ("Why did that happen?", "demonstrative"),
    ("how can I check that ordering myself?", "demonstrative"),
    ("Who claimed the first one?", "demonstrative"),
    ("can I call that again later in the program to change the level?", "demonstrative"),
    ("can i get that old behaviour back on a new python?", "demonstrative"),
    ("how do i fix that?", "demonstrative"),
    ("and if I'd rather keep the changes in-house?", "strong"),
    ("But what if the author is dead?", "strong"),
])
def test_a_pointer_with_nothing_to_point_at_in_the_question_is_a_strong_cue(question, cue):
    cues = references(question)
    assert cues[cue] and cues["strong"]


@pytest.mark.parametrize("question", [
    "What did Imran Khan say when he was Prime Minister?",  # "he" is Imran Khan
    "Is it true that Pakistan was placed on the grey list?",  # "it" points at nothing
    "Which country did the report say that the US should engage?",  # "that" opens a clause
    "Why did the negotiators say they would leave?",  # "they" are the negotiators
    "When did President Biden announce the withdrawal from Afghanistan?",
    "Which license has a clause that forbids advertising with the authors' names?",  # a relative clause
    "Is there a tool that checked the copyright in the past?",
    "Did the minister say that?",  # after "say", "that" opens a clause that was left unfinished
    "What if a court voids the licence?",  # a new hypothetical, not one added to the last turn
])
def test_a_question_that_stands_on_its_own_has_no_strong_cue(question):
    assert not references(question)["strong"]


def test_an_ordinal_naming_an_earlier_item_is_a_weak_cue():
    # "the second option" may point back; "the first attack on ..." names its own subject
    assert references("if I pick the second option, what do I lose?")["weak"]
    assert not references("Who carried out the first attack on Chinese engineers in Pakistan?")["weak"]


def test_names_in_a_text_and_the_person_it_is_about():
    assert "Raymond Davis" in capitalised_phrases(DAVIS_ANSWER)
    assert "One" not in capitalised_phrases("One of the reasons was the raid. Pakistan objected.")
    assert "Pakistan" in capitalised_phrases("Pakistan objected. The raid angered Pakistan.")
    assert salient_name(DAVIS, DAVIS_ANSWER) == "Raymond Davis"
    assert salient_name("Where is the United States Institute of Peace?", "It is in Washington.") is None


# --- resolution -------------------------------------------------------------------------------------------


def test_pronoun_takes_the_person_the_last_turn_was_about(followups):
    s = followups.standalone("How did he manage to leave Pakistan afterwards?", [Exchange(DAVIS, DAVIS_ANSWER)])
    assert s.method == "rules"
    assert s.query == "How did Raymond Davis manage to leave Pakistan afterwards?"  # what is shown and judged
    # searched as named, with the last turn's subject beside it ("in his view" of what?), and as typed
    with_subject, typed = s.queries[1:]
    assert s.queries[0] == s.query and typed == "How did he manage to leave Pakistan afterwards?"
    assert with_subject.startswith(s.query + " (") and "Lahore" in with_subject


def test_a_pronoun_reaches_back_through_an_earlier_follow_up(followups):
    history = [Exchange(DAVIS, DAVIS_ANSWER),
               Exchange("How did he manage to leave Pakistan afterwards?", "Davis was allowed to leave Pakistan. [1]")]
    s = followups.standalone("Where was he held before that?", history)
    assert "Raymond Davis" in s.query


def test_question_phrase_alone_takes_the_rest_of_the_last_question(followups):
    s = followups.standalone("In which year?", [Exchange("Where was Osama bin Laden killed?", "In Abbottabad, Pakistan. [1]")])
    assert s.query == "In which year was Osama bin Laden killed?"
    assert s.queries == (s.query,)  # "In which year?" alone has nothing to search for


def test_what_about_swaps_the_item_of_the_same_kind(followups):
    last = Exchange("What did President Trump say about Pakistan in 2017?", "He accused it of a double game. [1]")
    assert followups.standalone("And 2018?", [last]).query == "What did President Trump say about Pakistan in 2018?"
    assert followups.standalone("What about Biden?", [last]).query == "What did Biden say about Pakistan in 2017?"


def test_what_about_a_named_version_swaps_the_name_with_its_version(followups):
    last = Exchange("Does Apache 2.0 allow me to sell a warranty?", "Yes, for a fee. [1]")
    assert followups.standalone("What about under MPL 2.0?", [last]).query == "Does MPL 2.0 allow me to sell a warranty?"
    # A year after a name is not its version.
    last = Exchange("What did Trump say about Pakistan 2017 policy?", "A double game. [1]")
    assert followups.standalone("What about Biden?", [last]).query == "What did Biden say about Pakistan 2017 policy?"


def test_a_what_about_item_is_searched_with_the_last_questions_key_terms_not_inside_it(followups):
    history = [Exchange("in a regex what's the difference between * and +?", "Zero or more, one or more. [1]"),
               Exchange("and the question mark?", "Zero or one. [1]")]
    assert followups.standalone("and the question mark?", history[:1]).query == "the question mark? (regex difference)"
    s = followups.standalone("and {m,n} with n left out?", history)
    assert s.query == "{m,n} with n left out? (question mark regex difference)"
    # an item asked as a question is the last question asked of it
    last = Exchange("How many Afghan civilians died in the attack?", "About 170. [1]")
    assert followups.standalone("And how many US servicemembers?", [last]).query == (
        "How many Afghan civilians died in the attack \u2014 how many US servicemembers?")


def test_what_about_a_property_of_a_name_is_not_swapped_for_the_last_questions_name(followups):
    # "Washington's response" is a new side of the topic, not an item of the kind "US" is
    last = Exchange("Whom did Imran Khan blame for his ouster?", "Khan blamed the United States. [1]")
    s = followups.standalone("And Washington's response?", [last])
    assert s.query.startswith("Washington's response? (") and "Imran Khan" in s.query


def test_a_weak_cue_far_from_the_last_turn_is_searched_as_typed_and_resolved(followups):
    # "it" may point inside the question ("the folder layout") or back; not close enough in meaning to
    # the last turn to be sure, so the typed question is what is judged, and the resolved one is searched too
    last = Exchange("What's the quickest way to find out where pip keeps its cache?",
                    "You can use `pip cache dir` to get the cache directory that pip is currently configured to use. [1]")
    q = "can my cleanup script rely on the folder layout inside it?"
    s = followups.standalone(q, [last])
    assert s.query == q and len(s.queries) == 2
    assert s.queries[1] == q and s.queries[0].startswith(q + " (") and "pip" in s.queries[0]


def test_it_takes_the_subject_of_a_what_is_question(followups):
    last = Exchange("What is the China-Pakistan Economic Corridor?", "A part of China's Belt and Road Initiative. [1]")
    assert followups.standalone("Which initiative is it part of?", [last]).query == (
        "Which initiative is the China-Pakistan Economic Corridor part of?")


def test_what_about_x_then_a_question_asks_that_question_of_x(followups):
    last = Exchange("What does Shamil say Afghanistan must do to get along with the world?",
                    "Shamil says the Taliban must form an inclusive government. [1]")
    s = followups.standalone("What about the US, what could it do?", [last])
    assert s.query.startswith("what could the US do? (") and "Afghanistan" in s.query
    assert s.queries[-1] == "What about the US, what could it do?"  # the typed question is searched too


def test_a_pointer_without_a_clear_referent_adds_the_last_turns_key_terms(followups):
    s = followups.standalone("How did Pakistan see that attack?", [Exchange(
        "What happened at the Salala Post in 2011?", "A NATO attack killed Pakistani soldiers at the Salala Post. [1]")])
    assert s.query.startswith("How did Pakistan see that attack? (") and "Salala Post" in s.query


@pytest.mark.parametrize("question", [
    "What is the China-Pakistan Economic Corridor?",  # a change of topic
    "What did Imran Khan say about Pakistan's leverage over the Taliban?",
    "What did Imran Khan say when he was Prime Minister?",
])
def test_a_question_that_stands_on_its_own_is_searched_as_typed(followups, question):
    s = followups.standalone(question, [Exchange(DAVIS, DAVIS_ANSWER)])
    assert (s.query, s.queries, s.method) == (question, (question,), "typed")


# --- through the answerer ---------------------------------------------------------------------------------


def test_pronoun_follow_up_is_answered_from_the_resolved_search(answerer):
    q = "How did he manage to leave Pakistan afterwards?"
    ans = answerer.ask(q, history=[turn(answerer, DAVIS)])
    assert ans.question == q and ans.searched_for == "How did Raymond Davis manage to leave Pakistan afterwards?"
    assert not ans.abstained and "allowed to leave Pakistan" in cited(ans)
    assert ans.to_dict()["searched_for"] == ans.searched_for and "condense_ms" in ans.timings


def test_resolution_finds_what_the_typed_follow_up_misses(answerer):
    first = "Which army chief outlined his doctrine in March 2021?"
    q = "Where did he present it?"
    alone = answerer.ask(q)
    assert not any("Islamabad Security" in c.text for c in alone.citations[:5])
    ans = answerer.ask(q, history=[turn(answerer, first)])
    assert "Bajwa" in ans.searched_for and any("Islamabad Security" in c.text for c in ans.citations[:5])


def test_change_of_topic_is_answered_exactly_as_if_asked_alone(answerer):
    q = "What is the China-Pakistan Economic Corridor?"
    alone = answerer.ask(q).to_dict()
    after = answerer.ask(q, history=[turn(answerer, DAVIS)]).to_dict()
    assert after["searched_for"] == alone["searched_for"] == q
    for key in ("answer", "abstained", "citations", "grounding"):
        assert after[key] == alone[key]


def test_empty_history_is_todays_behaviour(answerer):
    a, b = answerer.ask(DAVIS).to_dict(), answerer.ask(DAVIS, history=()).to_dict()
    assert a["searched_for"] == DAVIS and "condense_ms" not in a["timings"]
    assert {k: v for k, v in a.items() if k != "timings"} == {k: v for k, v in b.items() if k != "timings"}


def test_history_never_makes_evidence(answerer):
    """An earlier answer's claim (here invented) is not evidence for the follow-up: only what this
    turn retrieves is, and it does not say."""
    history = [Exchange("Who won the 2019 Lahore chess open?", "Zorbal Quennet won the 2019 Lahore chess open. [1]")]
    ans = answerer.ask("In which month did he win it?", history=history)
    assert ans.abstained and "Zorbal Quennet" in ans.searched_for
    assert all("Quennet" not in c.text for c in ans.citations)


def test_follow_up_about_an_absent_detail_abstains(answerer):
    ans = answerer.ask("What was his shoe size?", history=[turn(answerer, DAVIS)])
    assert ans.abstained and "Raymond Davis" in ans.searched_for


def test_condensing_off_searches_as_typed(corpus_pipeline, tmp_path):
    from rag.answer.answerer import Answerer

    s = corpus_pipeline.settings.updated(conversation_condense="off")
    a = Answerer(s, corpus_pipeline.retriever, corpus_pipeline.answerer.extractive)
    q = "How did he manage to leave Pakistan afterwards?"
    assert a.ask(q, history=[Exchange(DAVIS, DAVIS_ANSWER)]).searched_for == q


def test_the_rules_know_nothing_of_the_subject(tmp_path):
    """The same cues on a collection of another kind (maintenance notes, invented for the test)."""
    from rag.wiring import Pipeline
    from tests.conftest import make_settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "valves.txt").write_text("Valve Catalogue\n\nThe Zephyr valve carries the catalogue code XQ-47. "
                                     "It fits the older Brennan pumps in the north depot.", encoding="utf-8")
    (docs / "staff.txt").write_text("Depot Staff\n\nMarta Okonkwo runs the north depot. She was hired in 2014 "
                                    "and trained every fitter there.", encoding="utf-8")
    (docs / "weather.txt").write_text("Weather Diary\n\nHeavy rain fell across the valley in April.", encoding="utf-8")
    pipe = Pipeline(make_settings(tmp_path / "data", docs))
    pipe.ingestor.ingest()
    a = pipe.answerer
    valve = Exchange("Which valve carries the catalogue code XQ-47?", a.ask("Which valve carries the catalogue code XQ-47?").answer)
    pumps = a.ask("Which pumps does it fit?", history=[valve])
    assert pumps.searched_for != "Which pumps does it fit?" and "XQ-47" in pumps.searched_for
    assert pumps.citations[0].source == "valves.txt"
    boss = Exchange("Who runs the north depot?", a.ask("Who runs the north depot?").answer)
    hired = a.ask("When was she hired?", history=[boss])
    assert hired.searched_for == "When was Marta Okonkwo hired?" and hired.citations[0].source == "staff.txt"
    rain = a.ask("When did heavy rain fall across the valley?", history=[boss])
    assert rain.searched_for == "When did heavy rain fall across the valley?"


def test_a_follow_up_searches_the_document_the_last_answer_cited_first_harder(answerer, monkeypatch):
    """Only a resolved follow-up prefers the last answer's first cited document; a question asked as
    typed (a change of topic) prefers nothing."""
    first = turn(answerer, DAVIS)
    assert first.documents
    preferred = []
    search = answerer.retriever.retrieve_all

    def spy(queries, k=None, **kw):
        preferred.append(kw.get("prefer"))
        return search(queries, k, **kw)

    monkeypatch.setattr(answerer.retriever, "retrieve_all", spy)
    answerer.ask("How did he manage to leave Pakistan afterwards?", history=[first])
    answerer.ask("What is the China-Pakistan Economic Corridor?", history=[first])
    assert preferred == [frozenset(first.documents[:1]), frozenset()]


@pytest.mark.parametrize("question, item", [
    ("and on FreeBSD?", "FreeBSD"), ("What about MPL 2.0?", "MPL 2.0"), ("And under GPLv2?", "GPLv2"),
    ("and in 1965?", None), ("and the per-user one?", None), ("And Washington's response?", None),
    ("and if I leave data out?", None),
])
def test_the_name_a_what_about_follow_up_asks_of(question, item):
    assert asked_item(question) == item
