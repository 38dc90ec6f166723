from setuptools import find_packages, setup

PACKAGE = "dexvlg_grasp_filter"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
    ],
    install_requires=["setuptools"],
    extras_require={"test": ["pytest"]},
    zip_safe=True,
    maintainer="DexVLG team",
    maintainer_email="dexvlg@example.com",
    description="Grasp filtering for the UR10e: ROS 2 node and pure logic",
    license="Apache-2.0",
    entry_points={"console_scripts": []},
)
