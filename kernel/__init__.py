"""The kernel: what every layer above builds on (extensions, model base, audit, notifications, …).

Nothing in here imports ``tenants`` or a domain: where the kernel needs to know about people or to
bind a tenant it asks through a small hook the tenants layer installs (see
``kernel.notifications.directory``).
"""
