#!/usr/bin/env bash
# Enter the DexVLG environment (ROS 2 Jazzy + .venv + install/ overlay), then run the command.
set -e
source /ws/scripts/env.sh
exec "$@"
