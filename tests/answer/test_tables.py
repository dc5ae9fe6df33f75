"""Tables in passage text: pipe-table rows, fields of a reference entry, list items and definitions."""

from rag.answer.tables import defines, is_field, listed_value, table_rows
from rag.language import split_sentences
from rag.language import content_words


def test_a_pipe_table_keeps_its_rows_around_a_line_the_reader_could_not_cut():
    # GLPK's MathProg manual, the MySQL driver's fields: "Database" sits too close to its description
    # for the PDF reader to cut it into cells; the other rows are still rows.
    text = ("| Server | server running the database (defaulting to localhost); |\nDatabase name of the database;\n"
            "| UID | user name; |\n| PWD | user password; |\n| Port | port used by the server (defaulting to 3306). |")
    rows = [text[a:b] for a, b in table_rows(text, 0, len(text))]
    assert rows[-1] == "| Port | port used by the server (defaulting to 3306). |" and len(rows) == 4
    # a chunk that holds only a table's last two rows (aptitude's safety cost levels): each row is a row
    tail = ("| 50,000 | Solutions that install packages from non-default versions. | Non-Default-Level |\n"
            "| 60,000 | Solutions that remove Essential packages. | Remove-Essential-Level |")
    assert [tail[a:b] for a, b in table_rows(tail, 0, len(tail))] == tail.split("\n")
    # mostly prose is no table
    prose = "A line.\nAnother line.\n| a | b |\n| c | d |\n| e | f |\nMore prose."
    assert table_rows(prose, 0, len(prose)) == []


def test_a_field_is_a_short_labelled_line_about_a_word_of_the_question():
    asked = set(content_words("What stylesheet does the LaTeX writer use by default?"))
    assert is_field('Default: no stylesheet ("").', asked)
    assert not is_field("Option: --stylesheet.", asked)  # the question asks no option
    assert not is_field("Default: the working directory of the process at launch and the directory with files.", asked)
    assert not is_field("The default is no stylesheet.", asked)


# git-maintenance(1), the register subcommand: a lead-in, then one "task: schedule" item per line
SCHEDULE = ("The incremental strategy uses the following schedule for each maintenance task:\n\ngc: disabled.\n\n"
            "commit-graph: hourly.\n\nloose-objects: daily.\n\nincremental-repack: daily.")


def test_a_listed_value_is_read_with_its_lists_lead_in():
    spans = split_sentences(SCHEDULE)
    k = next(i for i, (a, b) in enumerate(spans) if SCHEDULE[a:b].startswith("loose-objects"))
    q = "How often does the loose-objects task run under the incremental strategy?"
    assert listed_value(q, SCHEDULE, spans, k, set(content_words(q))) == SCHEDULE.split("\n")[0]
    # the item must be the one asked about, and the question must ask for a value
    other = "How often does the commit-graph task run?"
    assert listed_value(other, SCHEDULE, spans, k, set(content_words(other))) is None
    what = "What does the loose-objects task do?"
    assert listed_value(what, SCHEDULE, spans, k, set(content_words(what))) is None
    # with no lead-in, the item's term is its context; a long sentence is no item
    alone = "Port: 3306."
    assert listed_value("Which port is used?", alone, split_sentences(alone), 0, {"port"}) == "Port"
    prose = "Note: the port used by the server is the one its configuration names."
    assert listed_value("Which port is used?", prose, split_sentences(prose), 0, {"port", "note"}) is None


def test_a_definition_of_a_term_the_question_names():
    q = "What does git clean -n do?"
    assert defines("-n, --dry-run: Don't actually remove anything, just show what would be done.", q)
    assert defines("--normalize: Normalize refname by removing any leading slash.", "What does the --normalize option do?")
    assert defines("gc.auto: The number of loose objects.", "What is gc.auto for?")
    assert not defines("-d: Normally, git clean will not recurse into untracked directories.", q)
    assert not defines("Normally git clean -n shows what would be done: nothing is removed.", q)  # no term before the colon
    # slides' label lines name plain words, not options (debmake-doc: "Native packages: normally for ...")
    assert not defines("Native packages: normally for Debian specific software (dpkg, apt)", "Why is my package native?")
