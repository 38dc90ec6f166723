"""The DexVLG network, pure Python (no rclpy).

Point-cloud encoder, language model and flow-matching grasp head; training, inference and checkpoints.
"""
