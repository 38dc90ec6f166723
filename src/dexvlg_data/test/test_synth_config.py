"""synth.config.override: command-line assignments onto the frozen synthesis config."""

import pytest

from dexvlg_data.synth.config import SynthConfig, override


def test_assignments_reach_nested_fields_with_their_types():
    base = SynthConfig()
    tuned = override(base, ["energy.weights.force_closure=15", "optimizer.iterations=300", "init.open_fingers=false",
                            "init.palm_distance=[0.02, 0.03]", "postures.pinch_mode=none", "batch_size=8"])
    assert tuned.energy.weights.force_closure == 15.0 and isinstance(tuned.energy.weights.force_closure, float)
    assert tuned.optimizer.iterations == 300 and isinstance(tuned.optimizer.iterations, int)
    assert tuned.init.open_fingers is False and tuned.init.palm_distance == (0.02, 0.03)
    assert tuned.postures.pinch_mode is None and tuned.batch_size == 8
    # everything else as it was, and the original untouched (frozen dataclasses are replaced, not edited)
    assert tuned.energy.weights.barrier == base.energy.weights.barrier and tuned.sdf == base.sdf
    assert base.energy.weights.force_closure == SynthConfig().energy.weights.force_closure
    assert override(base, []) == base


@pytest.mark.parametrize(("assignment", "message"), [
    ("energy.weights.grip=1", "energy.weights has no field 'grip'; choose from force_closure, barrier"),
    ("energie.fc_lp=true", "SynthConfig has no field 'energie'"),
    ("energy=1", "'energy' is a group; set one of its fields: energy.weights"),
    ("batch_size.x=1", "'batch_size' is a value"),
    ("optimizer.iterations=many", "--set optimizer.iterations=many"),
    ("energy.fc_lp=yes", "expected true or false"),
    ("init.palm_distance=[0.02]", "expected a JSON list of 2 numbers"),
    ("postures.curl_angle", "--set takes PATH=VALUE"),
    ("postures.fallbacks=[0.2]", "expected a JSON list of strings"),
])
def test_bad_assignments_say_what_is_wrong(assignment, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        override(SynthConfig(), [assignment])


def test_fallback_squeezes_are_a_list_of_any_length_and_parse_into_posture_configs():
    from dexvlg_data.synth.postures import fallback_configs

    tuned = override(SynthConfig(), ['postures.fallbacks=["curl 0.1", "displacement 0.03", "force 4"]'])
    curl, displacement, force = fallback_configs(tuned.postures)
    assert (curl.mode, curl.curl_angle, curl.pinch_mode) == ("curl", 0.1, None)
    assert (displacement.mode, displacement.squeeze_distance) == ("displacement", 0.03)
    assert (force.mode, force.squeeze_force) == ("force", 4.0)
    assert all(option.fallbacks == () for option in (curl, displacement, force))  # options have no options
    assert fallback_configs(override(SynthConfig(), ["postures.fallbacks=[]"]).postures) == []
    for bad in ("curl", "shake 0.2", "curl -0.1", "displacement far"):
        with pytest.raises(ValueError, match="expected 'MODE AMOUNT'"):
            fallback_configs(override(SynthConfig(), [f'postures.fallbacks=["{bad}"]']).postures)


def test_wrist_turns_are_rows_of_axis_and_angle_of_any_number():
    tuned = override(SynthConfig(), ["postures.wrist_turns=[[1, 0.3], [2, -0.1], [0, 0.2]]"])
    assert tuned.postures.wrist_turns == ((1, 0.3), (2, -0.1), (0, 0.2))
    assert override(tuned, ["postures.wrist_turns=[[1, 0.25]]"]).postures.wrist_turns == ((1, 0.25),)
    assert override(tuned, ["postures.wrist_turns=[]"]).postures.wrist_turns == ()
    for bad in ("[1, 0.3]", '[[1, "far"]]', "0.3"):
        with pytest.raises(ValueError, match="expected a JSON list of lists of numbers"):
            override(tuned, [f"postures.wrist_turns={bad}"])
