"""Wiring only: build the Litestar app from settings and list what each domain exports."""

from __future__ import annotations

import os

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar, Router
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from shop.accounts import controllers as accounts_api
from shop.accounts import pages as accounts_pages
from shop.accounts import staff_pages
from shop.accounts.secrets import SecretHasher
from shop.accounts.services import Logins
from shop.accounts.throttle import HashGate
from shop.cases import controllers as cases_api
from shop.cases import pages as cases_pages
from shop.catalogue import controllers as catalogue_api
from shop.catalogue import pages as catalogue_pages
from shop.db import create_alchemy_config
from shop.ledger import controllers as ledger_api
from shop.ledger import pages as ledger_pages
from shop.logs import AccessLogMiddleware, configure_logging
from shop.notifications import controllers as notifications_api
from shop.notifications import pages as notifications_pages
from shop.ops.controllers import healthz
from shop.ops.heap import freeze_startup_heap
from shop.orders import controllers as orders_api
from shop.orders import pages as orders_pages
from shop.orders.imports import controllers as order_import_api
from shop.orders.imports import pages as order_import_pages
from shop.orders.imports.services import OrderImports
from shop.orders.writer import OrderWriter
from shop.settings import Settings
from shop.sms import pages as sms_pages
from shop.streams import controllers as streams_api
from shop.streams import pages as streams_pages
from shop.streams.live import LiveHub, wake_watchers
from shop.training import controllers as training_api
from shop.training import pages as training_pages
from shop.villages import controllers as villages_api
from shop.villages import pages as villages_pages
from shop.web import desk
from shop.web.auth import EXCLUDE_OPT, PUBLIC, BearerTokenMiddleware, TokenCache, build_session_auth
from shop.web.deps import SHARED_DEPENDENCIES
from shop.web.errors import EXCEPTION_HANDLERS
from shop.web.middleware import LocaleMiddleware, LoginShedMiddleware, standard_headers
from shop.web.templating import STATIC_DIR, build_template_config
from shop.wiring import link_domains

API_CONTROLLERS: list[ControllerRouterHandler] = [
    accounts_api.AuthController,
    accounts_api.MeController,
    accounts_api.UserController,
    villages_api.VillageController,
    villages_api.HouseholdController,
    catalogue_api.ProductController,
    streams_api.GuestController,
    streams_api.StreamController,
    notifications_api.NotificationController,
    orders_api.OrderController,
    order_import_api.OrderImportController,
    orders_api.stream_report_api,
    ledger_api.FeePolicyController,
    ledger_api.EarningsController,
    ledger_api.create_payout,
    ledger_api.village_transparency,
    training_api.CourseController,
    training_api.LessonController,
    training_api.CohortController,
    training_api.ClassController,
    training_api.MyProgressController,
    cases_api.CaseController,
]
PAGE_ROUTES = [
    *accounts_pages.ROUTES,
    *staff_pages.ROUTES,
    *villages_pages.ROUTES,
    *catalogue_pages.ROUTES,
    *streams_pages.ROUTES,
    *notifications_pages.ROUTES,
    *orders_pages.ROUTES,
    *ledger_pages.ROUTES,
    *order_import_pages.ROUTES,
    *training_pages.ROUTES,
    *cases_pages.ROUTES,
    *sms_pages.ROUTES,
    *desk.ROUTES,
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    alchemy = create_alchemy_config(settings)
    template_config = build_template_config(settings)
    session_auth = build_session_auth(settings, alchemy)

    api = Router(
        "/api/v1",
        route_handlers=API_CONTROLLERS,
        middleware=[DefineMiddleware(BearerTokenMiddleware, exclude_from_auth_key=EXCLUDE_OPT)],
        security=[{"BearerToken": []}],
        request_max_body_size=settings.api_max_body_bytes,  # JSON; the import routes take their files
    )
    static = create_static_files_router(
        "/static",
        directories=[STATIC_DIR],
        opt=PUBLIC,
        cache_control=CacheControlHeader(max_age=31_536_000, public=True),
        include_in_schema=False,
    )

    def outermost_middleware(app_config: AppConfig) -> AppConfig:
        # A worker whose login places are all taken turns the next login away at the door, before anything else
        # is done for it (it counts them in one warning every few seconds instead of an access-log line each);
        # then language, so that a refused login answers in the page's language.
        app_config.middleware[:0] = [
            LoginShedMiddleware(login_gate),
            AccessLogMiddleware(),
            LocaleMiddleware(settings.cookie_secure),
        ]
        return app_config

    # This process's links between the domains (who hears of a completed order …), built here, once per app.
    live_hub = LiveHub()
    domains = link_domains(live_hub)
    order_writer = OrderWriter(alchemy, settings)
    order_imports = OrderImports(alchemy, settings, domains.events)
    hasher = SecretHasher(settings)
    # One hash at a time per core this worker can call its own: the workers of a machine share its cores.
    hash_slots = settings.login_hash_slots or max(1, (os.cpu_count() or 1) // max(1, settings.workers))
    login_gate = HashGate(hash_slots, settings.login_hash_queue)

    return Litestar(
        route_handlers=[api, static, healthz, *PAGE_ROUTES],
        on_startup=[freeze_startup_heap],
        on_shutdown=[order_writer.close, order_imports.close, login_gate.close],
        plugins=[SQLAlchemyPlugin(config=alchemy), FlashPlugin(FlashConfig(template_config=template_config))],
        on_app_init=[session_auth.on_app_init, outermost_middleware],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            exclude=["^/api/"],  # bearer tokens, not cookies: no cross-site forgery to fear there
            cookie_name="shop_csrf",
            cookie_secure=settings.cookie_secure,
            cookie_httponly=True,
            cookie_samesite="lax",
        ),
        template_config=template_config,
        dependencies=SHARED_DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[standard_headers(https=settings.cookie_secure)],
        after_response=wake_watchers,
        openapi_config=OpenAPIConfig(
            title="村播助农 Village livestream toolkit API",
            version="1.0.0",
            path="/schema",
            render_plugins=[],
            components=Components(
                security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")},
            ),
        ),
        request_max_body_size=settings.max_body_bytes,
        state=State(
            {
                "settings": settings,
                "alchemy_config": alchemy,
                "hasher": hasher,
                "logins": Logins(alchemy, hasher, login_gate, settings.secret_key),
                "token_cache": TokenCache(),
                "live_hub": live_hub,
                "domains": domains,
                "order_writer": order_writer,
                "order_imports": order_imports,
            }
        ),
        logging_config=None,
        debug=settings.debug,
    )
