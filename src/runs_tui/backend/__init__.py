"""The reference runs backend: a run engine, its storage, and the HTTP API over them.

It is the embedded default of the dashboard, the fixture of the test suite, and the contract a
production backend implements. Nothing in here imports Textual.
"""
