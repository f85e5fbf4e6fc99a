from client.backend_fixtures import backend, client  # noqa: F401  (fixtures)
