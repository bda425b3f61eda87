from django.dispatch import Signal

# Sent after documents were created (inside the transaction); args: document_ids, collection.
# The annotator app listens to queue suggestions once the transaction commits.
documents_created = Signal()

# Sent when a document's text changed and its new revision was saved (inside the
# transaction); args: document, revision. The annotator re-anchors spans once it commits.
document_revised = Signal()

# Sent when URLs were queued for fetching (inside the transaction); args: fetch_ids.
# The annotator queues the Celery task that fetches them once the transaction commits.
fetches_requested = Signal()
