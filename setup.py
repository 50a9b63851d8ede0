"""mask3d-mm: 3D priors for 2D backbones (Mask3D, Pri3D) as an OpenMMLab 2.x plugin."""
import re
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
# Shipped inside the package as OpenMMLab packages do (<package>/.mim/...), so `mask3d_mm::` configs resolve from an
# installed wheel and its tools/train.py runs them. MANIFEST.in puts the same into an sdist.
MIM_FILES = ('configs', 'tools')


def read_version():
    text = (HERE / 'mask3d_mm' / 'version.py').read_text()
    return re.search(r"__version__ = '([^']+)'", text).group(1)


def read_requirements(name):
    lines = (HERE / 'requirements' / name).read_text().splitlines()
    return [ln.split('#')[0].strip() for ln in lines if ln.split('#')[0].strip()]


class BuildPyWithMim(build_py):
    """Copy MIM_FILES into ``mask3d_mm/.mim`` of the build tree (what a wheel and ``pip install .`` ship).

    OpenMMLab's ``add_mim_extension`` copies them into the source tree (symlinks when ``develop`` is in sys.argv,
    which pip's PEP 660 ``pip install -e .`` never puts there); this writes only to the build tree, and an editable
    install needs no copy: ``mask3d_mm.utils.compat.package_configs_dir`` reads the checkout's ``configs/`` when
    ``.mim`` is absent.
    """

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        mim_dir = Path(self.build_lib) / 'mask3d_mm' / '.mim'
        for name in MIM_FILES:
            shutil.rmtree(mim_dir / name, ignore_errors=True)
            shutil.copytree(HERE / name, mim_dir / name, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


setup(
    name='mask3d_mm',
    version=read_version(),
    description='Mask3D and Pri3D: 3D priors for 2D vision backbones, an OpenMMLab 2.x plugin',
    long_description=(HERE / 'README.md').read_text(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    cmdclass={'build_py': BuildPyWithMim},
    # Upper bounds are the versions this release is tested with; mmcv must be built with ops.
    install_requires=[
        'torch>=2.1,<2.15',
        'torchvision>=0.16,<0.30',
        'mmengine>=0.10.3,<0.11',
        'mmcv>=2.1.0,<2.2.0',
        'mmdet>=3.3.0,<3.4',
        'mmsegmentation>=1.2.2,<1.3',
        'mmpretrain>=1.2.0,<1.3',
    ] + read_requirements('runtime.txt'),
    extras_require={'dev': read_requirements('tests.txt')},
    classifiers=[
        'Programming Language :: Python :: 3',
        'License :: OSI Approved :: Apache Software License',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
