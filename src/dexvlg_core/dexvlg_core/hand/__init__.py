"""The Shadow Hand: joint names, kinematics and geometry used by synthesis, the model and execution."""
