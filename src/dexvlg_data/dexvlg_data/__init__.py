"""The DexVLG data engine and simulation benchmarks, pure Python (no rclpy).

Part-labeled objects, part-aware grasp synthesis, validation, captions, tabletop scenes, rendering,
dataset files and benchmarks; the ``dexvlg`` command line.
"""
