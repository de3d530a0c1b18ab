"""Reports: notebooks executed and converted to self-contained HTML, the charts and the tables
they show.
"""
