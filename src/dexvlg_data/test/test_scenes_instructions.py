"""Instruction templates: reference forms exactly, paraphrases filled, choices consistent and deterministic."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dexvlg_data.scenes.instructions import (
    FINGER_PARAPHRASES,
    PARAPHRASES,
    STYLE_PARAPHRASES,
    InstructionConfig,
    all_instructions,
    canonical_fingers,
    make_instruction,
    possessive,
    reference_instruction,
    spoken_fingers,
)


def test_reference_forms_exactly():
    assert reference_instruction("handle", "mug") == "Grasp the handle part of the mug object"
    assert (reference_instruction("handle", "mug", ("thumb", "index", "middle"))
            == "Grasp the handle part of the mug object with contact on index, middle and thumb")
    assert reference_instruction("cap", "spray bottle", ("palm",)) == \
        "Grasp the cap part of the spray bottle object with contact on palm"


def test_finger_and_name_phrasing():
    assert canonical_fingers(["palm", "thumb", "index", "thumb"]) == ("index", "thumb", "palm")
    assert spoken_fingers(["index", "middle", "thumb"]) == "thumb, index finger and middle finger"
    assert spoken_fingers(["thumb", "index"]) == "thumb and index finger"
    assert possessive("mug") == "mug's" and possessive("scissors") == "scissors'"
    with pytest.raises(ValueError):
        canonical_fingers(["pinky"])


def test_every_template_fills_completely():
    assert "pick up the mug by its handle" in all_instructions("handle", "mug")
    texts = all_instructions("handles", "scissors", "pinch", ("thumb", "index"))
    assert len(texts) == 2 + len(PARAPHRASES) + len(STYLE_PARAPHRASES["pinch"]) + len(FINGER_PARAPHRASES)
    for text in texts:
        assert "{" not in text and "}" not in text and "  " not in text, text
        assert "handles" in text and "scissors" in text, text
    assert "take a firm whole-hand grip on the kettle's lid" in all_instructions("lid", "kettle", "wrap")
    assert any("with your thumb and index finger" in t for t in texts)


def test_choice_respects_available_styles_and_fingers_and_is_deterministic():
    fingers = [("index", "middle", "thumb"), ("middle", "ring", "little", "thumb", "palm")]
    drawn = [make_instruction("handle", "mug", np.random.default_rng(s), styles=["wrap", "pinch"],
                              finger_sets=fingers) for s in range(200)]
    again = [make_instruction("handle", "mug", np.random.default_rng(s), styles=["wrap", "pinch"],
                              finger_sets=fingers) for s in range(200)]
    assert drawn == again
    forms = {d.form for d in drawn}
    assert forms == {"reference", "reference_fingers", "paraphrase", "paraphrase_style", "paraphrase_fingers"}
    for d in drawn:
        assert "handle" in d.text and "mug" in d.text
        assert bool(d.fingers) == d.form.endswith("fingers")
        assert bool(d.style) == (d.form == "paraphrase_style")
        if d.fingers:
            assert d.fingers in {canonical_fingers(f) for f in fingers}
        if d.form == "reference":
            assert d.text == "Grasp the handle part of the mug object"
        if d.form == "reference_fingers":
            assert re.fullmatch(r"Grasp the handle part of the mug object with contact on [a-z, ]+", d.text)
    # Without styles or finger sets, only the forms that need neither are drawn.
    plain = {make_instruction("body", "jar", np.random.default_rng(s)).form for s in range(100)}
    assert plain == {"reference", "paraphrase"}
    only = InstructionConfig(weights={"paraphrase_style": 1.0})
    assert make_instruction("body", "jar", np.random.default_rng(0), styles=["pinch"], config=only).style == "pinch"
