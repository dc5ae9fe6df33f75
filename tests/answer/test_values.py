"""What a question asks for as a value (an amount, a time, a version, of which unit) and whether a
sentence states one next to that unit."""

from __future__ import annotations

import pytest

from rag.answer.values import asked_value, states_value


@pytest.mark.parametrize("question, unit", [
    ("When did the US withdraw from Afghanistan?", set()),
    ("And when?", set()),
    ("Since when has it been allowed?", set()),
    ("In which month was the agreement signed?", set()),
    ("How many nuclear warheads does Pakistan have?", {"nuclear", "warhead"}),
    ("How many days does a licensee have to respond?", {"day"}),
    # the counted thing's words up to the verb, hyphenated words in parts
    ("It matches the 52 ASCII letters plus how many extra non-ASCII letters?", {"extra", "non", "ascii", "letter"}),
    # a measure is stated in another unit than its own name: "4096 bits", "hostname:631"
    ("What size of RSA key does the guide recommend?", set()),
    ("On which port is the printing web interface reached?", set()),
    ("What is the default network timeout in seconds?", set()),
    # money is its own unit: "38 billion USD"
    ("How much money went to reconstruction between 2001 and 2009?", set()),
    # "the number of X" counts X, as "how many X" does; "what's" asks as "what is" does
    ("What's the maximum number of user-defined keywords I'm allowed to list?", {"user", "defin", "keyword"}),
    ("What is the number of parties in the coalition?", {"parti"}),
    # "cost" as the verb asks a price
    ("What does a licence cost?", set()),
    ("What does the licence cost per year?", set()),
])
def test_questions_that_ask_for_a_value(question, unit):
    asks, got = asked_value(question)
    assert asks and set(got) == unit


@pytest.mark.parametrize("question", [
    # "when" as a conjunction is no time question
    "Why does the order of my except clauses matter when catching HTTPError?",
    "When urlopen fails, which attribute tells me why the server couldn't be reached?",
    "What is the default value of disable_existing_loggers when using fileConfig()?",
    "Does Creative Commons take on any obligations when someone applies CC0 to their work?",
    # a possessive is the head of the phrase, not a modifier of a value noun
    "Which newspaper's investigative release exposed major flaws in American policy?",
    "What decides which PostgreSQL version's client binary runs when I type psql?",  # the binary is asked
    "Who wrote the policy outlook?",
    # the value noun is a verb, or a verb's object: the question asks for the thing that counts or sets it
    "What does the canceled-actions cost component count?",
    "Which AMC-TXT option sets the paper size?",
    "Which command shows the installed version?",
])
def test_questions_that_ask_for_no_value(question):
    assert asked_value(question) == (False, frozenset())


def test_a_value_is_new_and_next_to_its_unit():
    assert states_value("How many days?", "The licensee has 30 days to cure the breach.", frozenset({"day"}))
    assert not states_value("How many days?", "Version 2 was published in 2004 after long talks.", frozenset({"day"}))
    assert not states_value("What changed in version 2?", "Version 2 changed the patent clause.", frozenset())
    q = "It matches the 52 ASCII letters plus how many extra non-ASCII letters?"
    assert states_value(q, "They match the 52 ASCII letters and 4 additional non-ASCII letters:", asked_value(q)[1])
    assert not states_value(q, "They match the 52 ASCII letters.", asked_value(q)[1])  # 52 is the question's own
    # a version or a port is written in digits; "few" is an amount, not a version
    q = "What is the version number of the current stable ESS release?"
    assert not states_value(q, "The stable suite is updated every few months by point releases.", asked_value(q)[1])
    assert states_value(q, "ESS 18.10.2 is the current release.", asked_value(q)[1])
    assert states_value("How many months pass?", "It takes a few months.", frozenset({"month"}))
    # a number about something else does not count the asked thing (a near miss on a real LaTeX manual)
    q = "What's the maximum number of user-defined keywords I'm allowed to list in a paper?"
    assert not states_value(q, "User-defined keywords are required for all articles over two pages in length.",
                            asked_value(q)[1])
    assert states_value(q, "You may list at most six user-defined keywords.", asked_value(q)[1])
    # the unit as the subject, its value right after the verb (auto-multiple-choice's manual, a probe)
    q = "How many students can a single test have at most?"
    assert states_value(q, "The maximum number of students per test is limited to 4,095.", asked_value(q)[1])
    assert not states_value(q, "The number of students per class and the exam's length are listed in section 12.",
                            asked_value(q)[1])
    # the unit's words written as one: "servicemembers" counts "service members"; a mere prefix does not
    q = "How many service members were killed in the attack?"
    assert states_value(q, "The attack killed 13 U.S. servicemembers and wounded 45.", asked_value(q)[1])
    assert not states_value(q, "The servicedesk logged 13 tickets.", asked_value(q)[1])
    # "how long" is answered by a span of time or text, not by any number ("Section 3")
    q = "If I write to the FSF for an exception, how long do they take to answer?"
    assert not states_value(q, "Exception to Section 3 of the GNU GPL.", asked_value(q)[1])
    assert states_value(q, "They answer within 30 days.", asked_value(q)[1])
    q = "How long can an inline function be?"
    assert states_value(q, "It may be ten lines or fewer in length.", asked_value(q)[1])
    q = "How often is the list updated?"
    assert states_value(q, "The list is updated daily.", asked_value(q)[1])
    # a span is counted before its unit: "day 0" is a place in the study, not an age (lme4's paper, a near miss)
    q = "How old were the subjects of the sleep deprivation study?"
    assert not states_value(q, "On day 0 the subjects had their normal amount of sleep.", asked_value(q)[1])
    assert states_value(q, "The subjects were 20 to 45 years old.", asked_value(q)[1])


def test_a_year_is_asked_for_by_a_year_and_a_field_states_its_entrys_value():
    # "In which year" is answered by a year, not by a PDF's footnote mark ("models.1", GLPK's MathProg manual)
    q = "In which year was GNU MathProg first released?"
    assert not states_value(q, "GNU MathProg is a modeling language intended for describing linear models.1",
                            asked_value(q)[1])
    assert states_value(q, "GNU MathProg was first released in 2003.", asked_value(q)[1])
    # a reference entry names the unit, its field the value (Docutils' config reference)
    q = "How many spaces does Docutils expand a hard tab to by default?"
    assert states_value(q, "Number of spaces for hard tab expansion.\n\nDefault: 8.", asked_value(q)[1])
    assert not states_value(q, "Number of spaces for hard tab expansion.", asked_value(q)[1])
    assert not states_value(q, "Number of spaces for hard tab expansion.\n\nDefault: None.", asked_value(q)[1])


def test_how_many_times_is_answered_by_once():
    # GLPK's MathProg manual: "The solve statement is optional and can be used only once."
    q = "How many times can the solve statement be used?"
    assert states_value(q, "The solve statement is optional and can be used only once.", asked_value(q)[1])
    assert states_value(q, "The job runs twice a day.", asked_value(q)[1])
    assert not states_value(q, "Once installed, the solver runs the model.", asked_value(q)[1])  # a conjunction
    assert not states_value(q, "It is twice as fast.", asked_value(q)[1])


def test_spans_with_no_number_and_zero():
    # git-maintenance(1): "... on an hourly basis", "The default batch-size is zero", and
    # git-credential-store(1): "This command stores credentials indefinitely on disk"
    often = "How often does the background schedule run?"
    assert states_value(often, "The schedule runs git maintenance run processes on an hourly basis.", asked_value(often)[1])
    assert not states_value(often, "The schedule runs git maintenance run processes in the background.", asked_value(often)[1])
    size = "What is the default batch size of the incremental-repack task?"
    assert states_value(size, "The default batch-size is zero, which is a special case.", asked_value(size)[1])
    long = "For how long does git credential-store keep a saved credential?"
    assert states_value(long, "This command stores credentials indefinitely on disk.", asked_value(long)[1])
    assert not states_value(long, "This command stores credentials on disk.", asked_value(long)[1])
