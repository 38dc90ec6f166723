"""ROS 2 node: the /predict_grasp service, wrapping a grasp predictor (the DexVLG model)."""
