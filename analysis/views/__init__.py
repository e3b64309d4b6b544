"""Views: what both faces draw and export.

* :mod:`analysis.views.registry` - the ``View`` registry: a name, filters and options in, data
  and an Altair chart out (``build_view``, ``build_views``, ``VIEWS``)
* :mod:`analysis.views.charts` - the short Altair chart builders
* :mod:`analysis.views.render` - PNG/SVG/HTML/CSV bytes of a view, file names, writing files
* :mod:`analysis.views.report` - a whole page as one HTML report or a zip, with provenance
* :mod:`analysis.views.csv` - CSV that a spreadsheet cannot read as formulas
"""

from __future__ import annotations

from analysis.views.registry import VIEWS, View, build_view, build_views, scope

__all__ = ["VIEWS", "View", "build_view", "build_views", "scope"]
