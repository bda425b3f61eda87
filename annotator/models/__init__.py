"""The annotator app's models, one module per capability; import them from here.

The app label stays `annotator` and the migrations are unchanged.
"""

from annotator.models.anchoring import AnchorMethod, AnchorState
from annotator.models.annotations import (
    Annotation,
    DeletedAnnotation,
    Label,
    Origin,
    http_url_validator,
)
from annotator.models.claims import (
    ArchiveStatus,
    DeskRule,
    Evidence,
    Rating,
    RuleKind,
    Stance,
    Verdict,
    VerdictState,
)
from annotator.models.events import (
    DeliveryStatus,
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from annotator.models.review import AgreementReport, Assignment, AssignmentStatus
from annotator.models.suggestions import (
    RunStatus,
    SuggesterModel,
    Suggestion,
    SuggestionBulkDecision,
    SuggestionDecision,
    SuggestionRun,
    SuggestionRunDocument,
    SuggestionStatus,
)

__all__ = [
    "AgreementReport",
    "AnchorMethod",
    "AnchorState",
    "Annotation",
    "ArchiveStatus",
    "DeskRule",
    "Evidence",
    "Rating",
    "RuleKind",
    "Stance",
    "Verdict",
    "VerdictState",
    "Assignment",
    "AssignmentStatus",
    "DeletedAnnotation",
    "DeliveryStatus",
    "Event",
    "Label",
    "Origin",
    "RunStatus",
    "SuggesterModel",
    "Suggestion",
    "SuggestionBulkDecision",
    "SuggestionDecision",
    "SuggestionRun",
    "SuggestionRunDocument",
    "SuggestionStatus",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "http_url_validator",
]
