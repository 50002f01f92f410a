from tests.security.support import resolver_spy  # noqa: F401  a fixture
