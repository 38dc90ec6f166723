from setuptools import find_packages, setup

PACKAGE = "dexvlg_data"

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
    description="The DexVLG data engine and simulation benchmarks, pure Python (no rclpy)",
    license="Apache-2.0",
    entry_points={"console_scripts": ["dexvlg = dexvlg_data.cli:main"]},
)
