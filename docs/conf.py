"""Sphinx configuration of the self-study book (built by ``python -m coursebuild book``).

The chapters are the executed solution notebooks, prepared by ``coursebuild/book.py`` and
staged with these pages in ``build/book-src/``; myst-nb renders them without executing
anything. Everything a page loads is in the site: MathJax 2.7 from jupyter-server-mathjax
(copied to ``_static/mathjax/`` by the build), the theme's own fonts and scripts.
"""

project = "Backprop from Scratch"
author = "the Backprop from Scratch authors"
copyright = "the Backprop from Scratch authors"

extensions = ["myst_nb"]

# --- notebooks: shown as executed, never executed again -----------------------------------
nb_execution_mode = "off"
nb_merge_streams = False          # coursebuild/book.py has merged them as Jupyter shows them
nb_output_stderr = "show"         # a warning (e.g. the digits fallback) is part of the story
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
exclude_patterns = ["jupyter_execute", "**.ipynb_checkpoints"]
# The build treats warnings as errors (a missing image, a broken link); a heading level that
# skips one (## to ####) is cosmetic and must not stop the main job.
suppress_warnings = ["myst.header"]

# --- math: a local MathJax 2.7 (jupyter-server-mathjax ships it), no CDN -----------------
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
myst_update_mathjax = False       # myst would write a MathJax 4 configuration
mathjax2_config = {
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                "processEscapes": True},
    # only the STIX-Web fonts are shipped: without this every stretchy symbol
    # (\underbrace, big sums) would be a "Math Processing Error". MathJax's placeholder font
    # is "url('about:blank')", which Chromium refuses with an error on every page: a local()
    # name that is not installed is the same empty placeholder, without a request.
    "HTML-CSS": {"availableFonts": [], "webFont": "STIX-Web", "imageFont": None,
                 "styles": {"@font-face": {"font-family": "MathJax_Blank",
                                           "src": "local('MathJax_Blank')"}}},
    # the fast preview draws with MathJax's TeX fonts, which jupyter-server-mathjax does not ship
    "fast-preview": {"disabled": True},
    "showMathMenu": False,
    "messageStyle": "none",
}

# --- the site ---------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Backprop from Scratch"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_favicon = "_static/favicon.svg"  # else the browser asks for /favicon.ico, a 404
html_copy_source = False          # the staged notebooks hold the collapsed solutions only once
html_show_sourcelink = False
html_last_updated_fmt = None
html_show_copyright = False
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
    "navbar_persistent": [],      # the sidebar has the search field: no second one on top
}
html_context = {"default_mode": "light"}  # no stored choice yet: light, without a console error
