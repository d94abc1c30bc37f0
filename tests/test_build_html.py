"""The self-study HTML pages (build/html/): readable offline and as Jupyter shows a notebook."""

from __future__ import annotations

import nbformat

from coursebuild.build import export_html


def executed_notebook():
    cell = nbformat.v4.new_code_cell("for batch in ProgressBar(batches): ...")
    # a ProgressBar redraws its line with carriage returns, one stream message per redraw
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)
                    for text in ("\rtrain [###---] 1/2", "\rtrain [######] 2/2 loss=0.31\n")]
    math = nbformat.v4.new_markdown_cell(r"$$\underbrace{s}_{(N, C)} = x W + b$$")
    return nbformat.v4.new_notebook(cells=[math, cell])


def test_progress_bars_show_their_last_line_only(tmp_path):
    body = export_html(executed_notebook(), tmp_path)
    assert "train [######] 2/2 loss=0.31" in body
    assert "1/2" not in body


def test_math_is_typeset_by_a_local_mathjax_with_the_fonts_it_has(tmp_path):
    body = export_html(executed_notebook(), tmp_path)
    assert '<script src="mathjax/MathJax.js?config=' in body
    assert "cdnjs.cloudflare.com/ajax/libs/mathjax" not in body
    assert (tmp_path / "mathjax" / "MathJax.js").is_file()
    # only STIX-Web fonts are shipped: without this, stretchy symbols fail to render
    assert 'webFont: "STIX-Web"' in body
    assert (tmp_path / "mathjax" / "jax" / "output" / "HTML-CSS" / "fonts" / "STIX-Web").is_dir()
