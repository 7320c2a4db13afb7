from tests.integration.helpers import workdir  # noqa: F401  (the fixture)
