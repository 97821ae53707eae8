"""Unbound Flask extensions, bound to the app in portal.app.create_app."""
from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from kernel.models_base import Base

db = SQLAlchemy(model_class=Base)

# The model base every table class derives from. Flask-SQLAlchemy builds db.Model at runtime, which
# mypy cannot see as a class; for the type checker it is our declarative Base (what it really extends).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Storage comes from RATELIMIT_STORAGE_URI (Redis when REDIS_URL is set, memory otherwise).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
