"""What is asked: the chat around a question (greetings, hedges, thanks) is not searched or judged,
and the answer to a question wrapped in it is the answer to the question alone."""

from __future__ import annotations

import pytest

from rag.answer.questions import plain, validate_question, without_pleasantries
from rag.config import Settings

DAVIS = "Which CIA contractor killed two pedestrians in Lahore?"


@pytest.mark.parametrize("typed", [
    "Hi, quick question: which CIA contractor killed two pedestrians in Lahore? Thanks!",
    "Hello there! I was wondering: which CIA contractor killed two pedestrians in Lahore?",
    "Hey, can you please tell me this: which CIA contractor killed two pedestrians in Lahore? Thank you so much.",
    "Good morning. Which CIA contractor killed two pedestrians in Lahore? Cheers",
    "Sorry if this is obvious, but which CIA contractor killed two pedestrians in Lahore?",
    "Which CIA contractor killed two pedestrians in Lahore? Any help appreciated!",
    "Question: which CIA contractor killed two pedestrians in Lahore? Thanks in advance.",
    "Which CIA contractor killed two pedestrians in Lahore, please?",
    "hey which CIA contractor killed two pedestrians in Lahore?",  # typed without punctuation
])
def test_the_chat_around_a_question_is_left_out(typed):
    assert without_pleasantries(typed) == DAVIS


@pytest.mark.parametrize("question", [
    DAVIS,
    "How do I say thanks in the changelog?",  # the words inside a question are part of it
    "What is the Debian word for thanks?",
    "Who starred in Cheers",
    "What does the question mark mean in a regex?",
    "Which license says 'Thank you'?",
    "Who is the dear leader of North Korea?",
    "History of the GPL: who wrote version 1?",  # words that begin like a greeting are no greeting
    "Highly available clusters: how many nodes?",
    "Heyday of the alliance: when was it?",
    "Great Britain or France?",
    "Thanks!",  # nothing else was asked: left as typed
    "Hi",
])
def test_a_question_without_chat_stays_as_typed(question):
    assert without_pleasantries(question) == question


def test_a_follow_up_keeps_its_cue():
    assert without_pleasantries("Thanks! And what about the second one?") == "And what about the second one?"
    assert without_pleasantries("Hi, quick question: why? Thanks!") == "Why?"
    assert without_pleasantries("Ok, thanks. And in which year?") == "And in which year?"
    assert without_pleasantries("Got it. What about GPLv2?") == "What about GPLv2?"
    assert without_pleasantries("Great Britain or France?") == "Great Britain or France?"  # no acknowledgement


def test_the_answer_is_the_answer_to_the_question_alone(corpus_pipeline):
    answerer = corpus_pipeline.answerer
    alone = answerer.ask(DAVIS)
    wrapped = answerer.ask("Hi, quick question: which CIA contractor killed two pedestrians in Lahore? Thanks!")
    assert not wrapped.abstained and wrapped.answer == alone.answer
    assert wrapped.searched_for == DAVIS  # shown as "searched for"


def test_an_off_topic_question_is_not_rescued_by_chat(corpus_pipeline):
    wrapped = corpus_pipeline.answerer.ask("Hello! What is the boiling point of liquid nitrogen at sea level? Thanks a lot!")
    assert wrapped.abstained


def test_typographic_quotes_and_full_width_letters_are_plain():
    assert plain("I\u2019m reading \u201cThe White Book\u201d \u2018twice\u2019") == 'I\'m reading "The White Book" \'twice\''
    assert plain("\uff27\uff30\uff2c v3 \ufb01le") == "GPL v3 file"  # full-width letters, a ligature
    assert validate_question("  Why isn\u2019t it?  ", Settings(_env_file=None)) == "Why isn't it?"


def test_a_question_typed_with_curly_quotes_is_answered_as_with_plain_ones(corpus_pipeline):
    answerer = corpus_pipeline.answerer
    # read as typed, "Pakistan\u2019s" was the words "pakistan" and "s" and the answer differed
    straight = answerer.ask("In July 1947, which US Secretary of State stressed Pakistan's importance in a memo to President Truman?")
    curly = answerer.ask("In July 1947, which US Secretary of State stressed Pakistan\u2019s importance in a memo to President Truman?")
    assert curly.answer == straight.answer and curly.question == straight.question


def test_earlier_turns_are_read_as_what_was_asked(corpus_pipeline):
    from rag.domain import Exchange

    answerer = corpus_pipeline.answerer
    asked = "Which CIA contractor's car killed two pedestrians in Lahore?"
    typed = "Hi! Which CIA contractor\u2019s car killed two pedestrians in Lahore? Thanks a lot!"
    answer = answerer.ask(asked)
    # "In which year?" takes the rest of the last question: the chat and the curly quote must not come with it
    got = answerer.ask("In which year?", history=[Exchange.of(typed, answer)])
    assert got.searched_for == answerer.ask("In which year?", history=[Exchange.of(asked, answer)]).searched_for
    assert "contractor's car killed" in got.searched_for and "Thanks" not in got.searched_for


def test_typeset_dashes_and_tildes_are_read_as_typed():
    assert plain("what does \u2212\u2212login do in \u02dc/.profile?") == "what does --login do in ~/.profile?"
    assert plain("the \u2010i and \u2011c flags") == "the -i and -c flags"
