"""The kernel: the foundation every other package stands on.

Extensions, the model base, the audit log, errors and ServiceError, i18n, numbers, configuration,
notifications, the navigation and dashboard registries, the API plumbing. Nothing in here imports
``tenants``, a domain or the shell: where the kernel needs to know about people or the bound tenant
it asks through a small hook the tenants layer installs (``kernel.notifications.directory``,
``kernel.audit.use_binding``). pyproject.toml states the layers as import-linter contracts.
"""
