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
