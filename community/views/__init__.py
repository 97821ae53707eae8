"""Pages of the community domain: the forum (bodies, meetings, minutes, actions) and the talent network."""
from community.views import actions, forum, meetings, minutes, talent  # noqa: F401
