"""Sphinx configuration of fastmlp's documentation (see docs/README.md)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

import fastmlp  # noqa: E402  (the installed package: the API pages document what users get)

project = "fastmlp"
author = "fastmlp contributors"
copyright = "fastmlp contributors"
release = fastmlp.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",   # the Google-style Args:/Returns:/Raises: sections the code uses
    "sphinx.ext.viewcode",
    "myst_parser",           # Markdown pages, and CHANGELOG.md included as it is
    "fastmlp_docs",          # the porting tables and API pages, generated from the package
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "README.md"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

autosummary_generate = False          # the API pages are written by fastmlp_docs
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"undoc-members": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

html_theme = "alabaster"
html_title = f"fastmlp {release}"
html_theme_options = {
    "description": "Keras programs, on fast CPU kernels",
    "fixed_sidebar": True,
    "page_width": "1240px",   # room for the seed program's lines and the progress bars
    "body_max_width": "none",
}
