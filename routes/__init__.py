"""Blueprints, one per module; registered in this order by create_app()."""

from routes.admin_routes import bp as admin_bp
from routes.ai_routes import bp as ai_bp
from routes.alert_routes import bp as alerts_bp
from routes.announcement_routes import bp as announcements_bp
from routes.answer_routes import bp as answers_bp
from routes.auth_routes import bp as auth_bp
from routes.billing_routes import bp as billing_bp
from routes.chat_routes import bp as chat_bp
from routes.kb_routes import bp as kb_bp
from routes.main_routes import bp as main_bp
from routes.messaging_routes import bp as messaging_bp
from routes.payment_routes import bp as payments_bp
from routes.stats_routes import bp as stats_bp
from routes.widget_routes import bp as widget_bp

BLUEPRINTS = [
    main_bp,
    auth_bp,
    alerts_bp,
    kb_bp,
    answers_bp,
    ai_bp,
    chat_bp,
    messaging_bp,
    stats_bp,
    billing_bp,
    payments_bp,
    admin_bp,
    announcements_bp,
    widget_bp,
]
