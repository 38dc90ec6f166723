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
])
def test_bad_assignments_say_what_is_wrong(assignment, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        override(SynthConfig(), [assignment])
