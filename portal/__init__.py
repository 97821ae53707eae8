"""The portal shell: app factory, configuration, extensions, login, layout, audit, errors."""
