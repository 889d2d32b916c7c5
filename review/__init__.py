"""The clerks' review web application (issue 11): documents extracted by
``pipeline`` are stored in a database, shown beside the source with every
value's span, corrected, approved and audited.

Nothing in ``pipeline`` imports this package (the CLI imports it lazily).
"""
