"""Shared test factories, one module per package: tenants (tenants, users), casebook (cases), procurement
(projects, declarations), awards (programmes and a judged scenario). Everything is made through the
services, as its real users would make it, inside the test's rolled-back transaction."""
