"""The targets table's scopes: gazetteer places found by their shortest name, labelled in English."""

from __future__ import annotations

from rag.targets.scopes import place_refs, scope_labels


def test_scope_labels_come_from_the_gazetteer_and_the_glossary() -> None:
    assert scope_labels() == ("Bao'an (Shenzhen)", "Shenzhen", "Hangzhou", "Beijing", "Shanghai", "Guangzhou",
                              "Guangdong", "Shandong", "Xincheng (Guangxi)", "Guangxi", "China")


def test_places_in_a_text_and_the_contexts_that_name_none() -> None:
    text = "深圳市宝安区与前海、滨州市，广西忻城县；我国，中国平安占全国的一成，全国第一"
    assert [scope for _, scope in place_refs(text)] == [
        "Shenzhen", "Bao'an (Shenzhen)", "Shenzhen", "Shandong", "Guangxi", "Xincheng (Guangxi)", "China"]
    assert place_refs("南山区")[0][1] == "Shenzhen" and place_refs("光明") == []


def test_any_division_of_the_gazetteer_is_a_scope_a_district_with_its_city() -> None:
    from rag.text.textnorm import normalize

    assert place_refs(normalize("廊坊市对企业给予补助")) == [(0, "Langfang")]
    assert place_refs(normalize("海淀区对企业给予补助")) == [(0, "Haidian (Beijing)")]
    assert [label for _, label in place_refs(normalize("全国和宝安区"))] == ["China", "Bao'an (Shenzhen)"]


def test_a_row_is_about_the_title_s_place_when_the_text_names_none() -> None:
    from tests.targets.test_targets import rows_of

    rows = rows_of("对企业给予最高200万元补助。", title="保定市促进人工智能产业发展若干措施")
    assert [(r.value_text, r.scope) for r in rows] == [("200万元", "Baoding")]
    english = rows_of("Enterprises get financial support up to 5 million yuan.", title="Measures of Wuxi City")
    assert [(r.value_text, r.scope) for r in english] == [("5 million yuan", "Wuxi")]
