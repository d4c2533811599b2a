from __future__ import annotations

from rag.answer.verify import verify
from rag.types import Citation


def cite(quote: str) -> Citation:
    return Citation(1, "d", "t", "p", "2025", "c", 0, len(quote), quote)


QUOTE = "到2026年全市人工智能企業數量超3000家，人工智能終端產業規模達8000億元以上。"


def test_figures_found_in_quote_pass_after_normalisation() -> None:
    v = verify("Shenzhen targets more than 3,000 AI companies and 800 billion yuan by 2026 [1].", [cite(QUOTE)])
    assert v.ok and not v.unsupported


def test_a_wrong_figure_is_rejected_and_named() -> None:
    v = verify("Shenzhen targets 5,000 AI companies by 2026 [1].", [cite(QUOTE)])
    assert not v.ok and v.unsupported == ("5,000",)


def test_a_wrong_year_is_rejected() -> None:
    assert not verify("超3000家，到2030年[1]", [cite(QUOTE)]).ok


def test_percent_does_not_match_a_count() -> None:
    assert not verify("增長3000%[1]", [cite(QUOTE)]).ok
