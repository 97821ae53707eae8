"""Single sign-on (OpenID Connect) for the tenants: settings, login, linking, sessions."""
