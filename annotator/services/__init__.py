"""Writes and domain rules. Import from the submodules:

- annotations: the span rule (span_check) and annotation create/update/delete/restore
- suggestions: accepting and rejecting suggestions, starting suggestion runs
- reviews: assignments and review status
"""
