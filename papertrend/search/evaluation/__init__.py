"""Offline evaluation of search quality (``papertrend eval``, docs/search-quality.md).

``smart`` reads the SMART-format test collections, ``triplets`` the related-paper
sets, and ``runner`` runs the site's keyword, dense and hybrid search on them and
scores the results with ir-measures.
"""
