"""Review workflow pages: assignments, agreement, adjudication, dashboards."""

urlpatterns: list = []
