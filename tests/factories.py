import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotator.models import Annotation, Label, Suggestion
from corpus.models import Collection, Document

EMOJI_TEXT = (
    "Officials said 🇰🇵 troops moved north.\r\n"
    "Café owners 😀 reportedly denied it — “a lie”, per Zoë.\n"
    "Combining: e\u0301t\u0301e\u0301 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 text."
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-for-tests")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"collection-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    collection = factory.SubFactory(CollectionFactory)
    title = factory.Sequence(lambda n: f"Document {n}")
    text = factory.Sequence(
        lambda n: (
            f"Report {n}. Officials said the troops arrived, according to Reuters.\n"
            "The ministry denied the claims."
        )
    )


def label(slug: str) -> Label:
    return Label.objects.get(slug=slug)


class AnnotationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Annotation

    document = factory.SubFactory(DocumentFactory)
    start = 0
    end = 6
    quote = factory.LazyAttribute(lambda o: o.document.text[o.start : o.end])
    revision = factory.LazyAttribute(lambda o: o.document.revision)
    label = factory.LazyFunction(lambda: label("sourced"))
    created_by = factory.SubFactory(UserFactory, role="reviewer")


class SuggestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suggestion

    document = factory.SubFactory(DocumentFactory)
    start = 0
    end = 6
    quote = factory.LazyAttribute(lambda o: o.document.text[o.start : o.end])
    revision = factory.LazyAttribute(lambda o: o.document.revision)
    label = factory.LazyFunction(lambda: label("disputed"))
    score = 0.7
    rationale = "cue: 'denied'"
    suggester = "disputed"
    suggester_version = "1"


def api_for(user) -> APIClient:
    """An API client authenticated by the user's token."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
