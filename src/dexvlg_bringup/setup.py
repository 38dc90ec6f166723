from glob import glob

from setuptools import find_packages, setup

PACKAGE = "dexvlg_bringup"
# The workspace's top-level launch/ and config/ are the source of truth; they are installed from here.
WS = "../.."

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob(f"{WS}/launch/*.launch.py")),
        (f"share/{PACKAGE}/config", glob(f"{WS}/config/*.yaml") + glob(f"{WS}/config/*.rviz")),
        (f"share/{PACKAGE}/config/graphs", glob(f"{WS}/config/graphs/*.yaml")),
    ],
    install_requires=["setuptools"],
    extras_require={"test": ["pytest"]},
    zip_safe=True,
    maintainer="DexVLG team",
    maintainer_email="dexvlg@example.com",
    description="Launch files, parameters and rviz2 configuration of DexVLG",
    license="Apache-2.0",
    entry_points={"console_scripts": ["run = dexvlg_bringup.runner:main"]},
)
