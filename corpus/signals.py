from django.dispatch import Signal

# Sent after documents were created (inside the transaction); args: document_ids, collection.
# The annotator app listens to queue suggestions once the transaction commits.
documents_created = Signal()
