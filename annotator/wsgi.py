import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
application = get_wsgi_application()


def gc_tune() -> None:
    """Collect the young generation less often (GC_GEN0_THRESHOLD), and leave the objects
    loaded at start-up out of collections (gc.freeze)."""
    if settings.GC_GEN0_THRESHOLD > 0:
        _, gen1, gen2 = gc.get_threshold()
        gc.set_threshold(settings.GC_GEN0_THRESHOLD, gen1, gen2)
    gc.collect()
    gc.freeze()


gc_tune()
