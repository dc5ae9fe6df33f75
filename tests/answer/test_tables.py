"""Tables in passage text: pipe-table rows, fields of a reference entry."""

from rag.answer.tables import is_field, table_rows
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
