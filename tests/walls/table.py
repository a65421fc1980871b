"""Who reaches which route: one row per route the application answers. tests/walls/test_walls.py holds
every route against its row, as every caller of tests/walls/callers.py, with their own records and with
another household's, another village's and another township's.

HOW TO ADD A ROW (a new route without one fails test_every_route_has_a_row, which prints its key):

    "METHOD /path/{param:type}": Row(STAFF),                  # the key exactly as the failure prints it
    "POST /api/v1/things": Row(STAFF, body={"village_id": "{village_id}", "name": "x"}),

- ``reach``: the roles that get past the walls (anything but 401/403/404 or a page's redirect to the login).
  Every other role must meet a wall; a role that reaches it must still meet one (404) with another
  household's, village's or township's ids.
- Path parameters are filled by name from tests/walls/world.py (``product_id``, ``household_id`` …); add the
  record there when your route names a new kind. ``use={"lesson_id": "spare_lesson_id"}`` picks another.
- ``body``: JSON for /api, form fields for pages; ``"{name}"`` takes the caller's id of that name. Give one
  when the route reads input before it checks reach (else another village's id meets a 400, not a wall).
- ``last=True`` for routes that delete or end what other rows use; ``ends_session=True`` when reaching it
  signs the caller out (the test signs them in again).
- ``scoped=False``: the route's ids are nobody's records (public codes, file names): no "other" check.
- ``reached_as={401}``: an answer that looks like a wall but is the route's own answer to the test's input.

A new role is a Caller in tests/walls/callers.py and a name in the sets below (township and county came so).
"""

from __future__ import annotations

from tests.walls.callers import ADMIN, ANONYMOUS, COUNTY, HOUSEHOLD, SECRETARY, TOWNSHIP, TRAINEE
from tests.walls.engine import Row

SIGNED_IN = frozenset({HOUSEHOLD, TRAINEE, SECRETARY, ADMIN, TOWNSHIP, COUNTY})
EVERYONE = SIGNED_IN | {ANONYMOUS}
USERS = frozenset({TRAINEE, SECRETARY, ADMIN})  # staff accounts and trainees (not households)
STAFF = frozenset({SECRETARY, ADMIN})
SECRETARIES = frozenset({SECRETARY})  # their village's own pages that an admin (no village) has no use for
ADMINS = frozenset({ADMIN})
HOUSEHOLDS = frozenset({HOUSEHOLD})
TRAINEES = frozenset({TRAINEE})
HOUSEHOLDS_AND_STAFF = HOUSEHOLDS | STAFF
OFFICERS = frozenset({TOWNSHIP, COUNTY})  # answer villagers' cases; keep no village's books
ACCOUNTS = USERS | OFFICERS  # anyone with a staff account: their own account and password
HANDLERS = STAFF | OFFICERS  # who answers villagers' cases
CASE_PARTIES = HOUSEHOLDS | HANDLERS
COUNTY_LEVEL = frozenset({COUNTY, ADMIN})
_COUNTY_REASON = {"reason": "已复核三次，磅单和监控一致。"}

WRONG_LOGIN = frozenset({401})  # the login's answer to a wrong name or secret
_CLASS = {
    "topic": "试播",
    "place": "村委会",
    "starts_at": "2030-01-05T14:00:00+08:00",
    "ends_at": "2030-01-05T16:00:00+08:00",
}
_STREAM_FORM = {
    "title": "新直播",
    "platform": "douyin",
    "date": "2030-01-05",
    "start_time": "20:00",
    "end_time": "21:00",
}

WALLS: dict[str, Row] = {
    # --- anyone: the front door, logins, public pages (printed addresses), static files, the schema ---------
    "GET /": Row(EVERYONE),
    "GET /healthz": Row(EVERYONE),
    "GET /login": Row(EVERYONE),
    "POST /login": Row(EVERYONE, reached_as=WRONG_LOGIN),
    "GET /household/login": Row(EVERYONE),
    "POST /household/login": Row(EVERYONE, reached_as=WRONG_LOGIN),
    "POST /logout": Row(EVERYONE, ends_session=True, reached_as=frozenset({303})),  # back to the login page
    "GET /v/{village_id:int}": Row(EVERYONE),
    "GET /v/{village_id:int}/transparency": Row(EVERYONE),
    "GET /products/{product_id:int}": Row(EVERYONE),
    "GET /t/{lot_code:str}": Row(EVERYONE, scoped=False),
    "GET /certificates": Row(EVERYONE),
    "GET /certificates/{code:str}": Row(EVERYONE, scoped=False),
    "GET /calendar/{feed:str}": Row(EVERYONE, scoped=False),
    "GET /media/{path:path}": Row(EVERYONE, scoped=False),
    "GET /static/{file_path:path}": Row(EVERYONE, scoped=False),
    "HEAD /static/{file_path:path}": Row(EVERYONE, scoped=False),
    "GET /api/v1/villages/{village_id:int}/transparency": Row(EVERYONE),
    "POST /api/v1/auth/token": Row(EVERYONE, reached_as=WRONG_LOGIN),
    "POST /api/v1/auth/household-token": Row(EVERYONE, reached_as=WRONG_LOGIN),
    "GET /schema": Row(EVERYONE),
    "GET /schema/{path:str}": Row(EVERYONE, scoped=False, reached_as=frozenset({404})),  # no such viewer
    "GET /schema/openapi.json": Row(EVERYONE),
    "GET /schema/openapi.yaml": Row(EVERYONE),
    "GET /schema/openapi.yml": Row(EVERYONE),
    "GET /schema/elements": Row(EVERYONE),
    "GET /schema/oauth2-redirect.html": Row(EVERYONE),
    "GET /schema/rapidoc": Row(EVERYONE),
    "GET /schema/redoc": Row(EVERYONE),
    "GET /schema/swagger": Row(EVERYONE),
    # --- anyone signed in: who am I, the inbox -------------------------------------------------------------
    "GET /api/v1/me": Row(SIGNED_IN),
    "DELETE /api/v1/auth/token": Row(SIGNED_IN, ends_session=True),
    "POST /api/v1/auth/sign-out-everywhere": Row(SIGNED_IN, ends_session=True, last=True),
    "GET /api/v1/notifications": Row(SIGNED_IN),
    "POST /api/v1/notifications/read": Row(SIGNED_IN),
    "POST /api/v1/notifications/{notification_id:int}/read": Row(SIGNED_IN),
    "GET /inbox": Row(SIGNED_IN),
    "POST /inbox/read": Row(SIGNED_IN),
    # --- a household: its own home, statements, earnings ---------------------------------------------------
    "GET /household": Row(HOUSEHOLDS),
    "POST /household/elder": Row(HOUSEHOLDS),
    "GET /household/statement/{month:str}": Row(HOUSEHOLDS, scoped=False),  # always the caller's own
    "GET /api/v1/households": Row(HOUSEHOLDS_AND_STAFF),
    "GET /api/v1/households/{household_id:int}": Row(HOUSEHOLDS_AND_STAFF),
    "GET /api/v1/households/{household_id:int}/earnings": Row(HOUSEHOLDS_AND_STAFF),
    # --- staff accounts and trainees ------------------------------------------------------------------------
    "GET /account": Row(ACCOUNTS),
    "POST /account/password": Row(ACCOUNTS, body={"current": "not-my-password", "password": "a-new-password-1"}),
    "POST /account/sms": Row(ACCOUNTS, body={"phone": "13904215555", "sms": "on"}),
    "GET /sms": Row(SECRETARIES),
    "POST /sms/test": Row(SECRETARIES),
    "POST /household/sms": Row(HOUSEHOLDS, body={"sms": "off"}),
    "POST /households/{household_id:int}/sms": Row(STAFF, body={"sms": "off"}),
    "POST /account/sign-out-everywhere": Row(ACCOUNTS, ends_session=True, last=True, reached_as=frozenset({303})),
    "POST /account/calendar": Row(ACCOUNTS, last=True, reached_as=frozenset({303})),  # a new feed address
    "GET /api/v1/users": Row(ACCOUNTS),
    "GET /api/v1/users/{user_id:int}": Row(USERS),
    "POST /api/v1/users": Row(
        STAFF,
        body={
            "username": "walls_{village_id}",
            "password": "long-enough-1",
            "role": "trainee",
            "village_id": "{village_id}",
        },
    ),
    "PATCH /api/v1/users/{user_id:int}": Row(STAFF, body={"display_name": "新名字"}),
    "POST /api/v1/users/{user_id:int}/password": Row(
        STAFF, body={"password": "long-enough-2"}, use={"user_id": "spare2_user_id"}, last=True
    ),
    # --- the accounts an operator or a secretary looks after (switch off, new password, move) -------------
    "GET /staff": Row(STAFF),
    "GET /staff/{user_id:int}": Row(STAFF),
    "POST /staff/{user_id:int}": Row(STAFF, body={"display_name": "新名字"}),
    "POST /staff/{user_id:int}/switch": Row(STAFF, body={"active": "on"}),  # on again: harmless to the rest
    "POST /staff/{user_id:int}/password": Row(
        STAFF, body={"password": "long-enough-3"}, use={"user_id": "spare2_user_id"}, last=True
    ),
    "GET /api/v1/villages": Row(USERS),
    "GET /api/v1/villages/{village_id:int}": Row(USERS),
    "POST /api/v1/villages": Row(ADMINS, body={"name": "新村", "township": "东大道乡", "county": "朝阳县"}),
    # --- the county operator's pages ------------------------------------------------------------------------
    "GET /admin/villages": Row(ADMINS),
    "POST /admin/villages": Row(ADMINS),
    "GET /admin/villages/{village_id:int}": Row(ADMINS),
    "POST /admin/villages/{village_id:int}/secretaries": Row(ADMINS),
    # --- households, as the village's staff keep them -------------------------------------------------------
    "POST /api/v1/households": Row(
        STAFF,
        body={
            "code": "NEW-{village_id}",
            "name": "新户",
            "phone": "13900000900",
            "pin": "123456",
            "village_id": "{village_id}",
        },
    ),
    "PATCH /api/v1/households/{household_id:int}": Row(STAFF, body={"phone": "13900000111"}),
    "POST /api/v1/households/{household_id:int}/pin": Row(STAFF, body={"pin": "654321"}),
    "GET /households": Row(STAFF),
    "GET /households/new": Row(STAFF),
    "POST /households/new": Row(
        STAFF,
        body={
            "code": "NEW-{village_id}",
            "name": "新户",
            "phone": "13900000900",
            "pin": "123456",
            "village_id": "{village_id}",
        },
    ),
    "GET /households/{household_id:int}": Row(STAFF),
    "POST /households/{household_id:int}": Row(STAFF),
    "POST /households/{household_id:int}/pin": Row(STAFF),
    "GET /households/{household_id:int}/card": Row(STAFF),
    "GET /households/{household_id:int}/statement/{month:str}": Row(STAFF),
    # --- catalogue: products (trainees practise selling them), lots and supplies (staff only) ---------------
    "GET /api/v1/products": Row(USERS),
    "GET /api/v1/products/{product_id:int}": Row(USERS),
    "POST /api/v1/products": Row(
        STAFF,
        body={"name": "榛蘑", "category": "mushroom", "unit": "袋", "price_fen": 2990, "village_id": "{village_id}"},
    ),
    "PATCH /api/v1/products/{product_id:int}": Row(STAFF, body={"description": "东大道乡的小米"}),
    "POST /api/v1/products/{product_id:int}/photos": Row(STAFF, upload="photo"),
    "POST /api/v1/products/import": Row(STAFF, upload="file"),
    "GET /api/v1/products/{product_id:int}/lots": Row(STAFF),
    "POST /api/v1/products/{product_id:int}/lots": Row(
        STAFF, body={"quantity": 1, "contributions": [{"household_id": "{household_id}", "quantity": 1}]}
    ),
    "GET /catalogue": Row(STAFF),
    "GET /catalogue/new": Row(STAFF),
    "POST /catalogue/new": Row(STAFF),
    "GET /catalogue/import": Row(STAFF),
    "POST /catalogue/import": Row(STAFF),
    "GET /catalogue/template/{fmt:str}": Row(STAFF, scoped=False),
    "GET /catalogue/{product_id:int}": Row(STAFF),
    "GET /catalogue/{product_id:int}/edit": Row(STAFF),
    "POST /catalogue/{product_id:int}/edit": Row(STAFF),
    "POST /catalogue/{product_id:int}/archive": Row(STAFF, last=True),
    "POST /catalogue/{product_id:int}/photos/{photo_id:int}/delete": Row(STAFF, last=True),
    "GET /catalogue/{product_id:int}/lots/new": Row(STAFF),
    "POST /catalogue/{product_id:int}/lots/new": Row(STAFF),
    "GET /catalogue/lots/{lot_id:int}": Row(STAFF),
    "GET /catalogue/lots/{lot_id:int}/receipts": Row(STAFF),
    "GET /catalogue/lots/{lot_id:int}/labels": Row(STAFF),
    # --- guests and streams (a trainee reaches the practice streams they host) ------------------------------
    "GET /api/v1/guests": Row(STAFF),
    "POST /api/v1/guests": Row(STAFF, body={"name": "新嘉宾", "village_id": "{village_id}"}),
    "GET /api/v1/guests/{guest_id:int}": Row(STAFF),
    "GET /guests": Row(STAFF),
    "POST /guests": Row(STAFF),
    "GET /guests/{guest_id:int}": Row(STAFF),
    "POST /guests/{guest_id:int}": Row(STAFF),
    "GET /api/v1/streams": Row(USERS),
    "POST /api/v1/streams": Row(
        STAFF,
        body={
            "title": "新直播",
            "platform": "douyin",
            "starts_at": "2030-01-05T20:00:00+08:00",
            "ends_at": "2030-01-05T21:00:00+08:00",
            "village_id": "{village_id}",
            "lineup": [{"product_id": "{product_id}"}],
        },
    ),
    "GET /api/v1/streams/{stream_id:int}": Row(USERS),
    "PATCH /api/v1/streams/{stream_id:int}": Row(STAFF, body={"notes": "多讲讲村子"}),
    "POST /api/v1/streams/{stream_id:int}/status": Row(USERS, body={"status": "ended"}, last=True),
    "POST /api/v1/streams/{stream_id:int}/pin": Row(USERS, body={}),
    "GET /api/v1/streams/{stream_id:int}/run-of-show": Row(USERS),
    "GET /api/v1/streams/{stream_id:int}/report": Row(USERS),
    "GET /streams": Row(USERS),
    "GET /streams/new": Row(STAFF),
    "POST /streams/new": Row(STAFF, body=_STREAM_FORM),
    "GET /streams/{stream_id:int}": Row(USERS),
    "GET /streams/{stream_id:int}/edit": Row(STAFF),
    "POST /streams/{stream_id:int}/edit": Row(STAFF),
    "GET /streams/{stream_id:int}/script": Row(USERS),
    "GET /streams/{stream_id:int}/live": Row(USERS),
    "POST /streams/{stream_id:int}/live/pin": Row(USERS),
    "GET /streams/{stream_id:int}/live/events": Row(USERS, use={"stream_id": "practice_stream_id"}),
    "POST /streams/{stream_id:int}/status": Row(USERS, body={"status": "ended"}, last=True),
    "GET /streams/{stream_id:int}/report": Row(USERS),
    "GET /streams/{stream_id:int}/comments": Row(STAFF),
    "POST /streams/{stream_id:int}/comments": Row(STAFF),
    "POST /streams/{stream_id:int}/comments/confirm": Row(STAFF),
    # --- orders -----------------------------------------------------------------------------------------------
    "GET /api/v1/orders": Row(STAFF),
    "POST /api/v1/orders": Row(STAFF, body={"items": [{"product_id": "{product_id}", "quantity": 1}]}),
    "GET /api/v1/orders/{order_id:int}": Row(STAFF),
    "POST /api/v1/orders/{order_id:int}/status": Row(STAFF, body={"status": "paid"}),
    "POST /api/v1/orders/{order_id:int}/refunds": Row(
        STAFF, body={"items": [{"product_id": "{product_id}", "quantity": 1}]}
    ),
    "POST /api/v1/orders/import": Row(STAFF, upload="file", body={"platform": "douyin", "village_id": "{village_id}"}),
    "GET /orders": Row(STAFF),
    "POST /orders/quick": Row(STAFF, body={"product_id": "{product_id}", "quantity": "1"}),
    "GET /orders/{order_id:int}": Row(STAFF),
    "POST /orders/{order_id:int}/status": Row(STAFF, body={"status": "paid"}),
    "POST /orders/{order_id:int}/refund": Row(STAFF),
    "GET /orders/packing": Row(STAFF),
    "GET /orders/shipping": Row(STAFF),
    "GET /orders/shipping.csv": Row(STAFF),
    "GET /orders/import": Row(STAFF),
    "POST /orders/import": Row(STAFF),
    "GET /orders/imports/{import_id:int}": Row(STAFF),
    "GET /orders/import/columns": Row(STAFF, query="upload={upload_token}"),
    "POST /orders/import/columns": Row(STAFF, body={"upload": "{upload_token}"}),
    "GET /orders/held": Row(STAFF),
    "POST /orders/held/map": Row(STAFF),
    # --- money: fee policy, earnings, payouts, the ledger ---------------------------------------------------
    "GET /api/v1/villages/{village_id:int}/fee-policy": Row(STAFF),
    "PUT /api/v1/villages/{village_id:int}/fee-policy": Row(
        STAFF, body={"platform_bp": {"douyin": 500}, "operator_bp": 300, "collective_bp": 1000}
    ),
    "POST /api/v1/payouts": Row(STAFF, body={"household_id": "{household_id}", "amount_fen": 1, "method": "cash"}),
    "GET /village": Row(STAFF),
    "GET /village/fees": Row(STAFF),
    "POST /village/fees": Row(STAFF),
    "GET /payouts": Row(STAFF),
    "POST /payouts": Row(STAFF, body={"household_id": "{household_id}", "amount": "0.01", "method": "cash"}),
    "POST /payouts/batch": Row(STAFF),
    "GET /payouts/batches/{batch_id:int}": Row(STAFF),
    "GET /payouts/batches/{batch_id:int}/transfers.xlsx": Row(STAFF),
    "GET /ledger": Row(STAFF),
    "GET /ledger/export/{fmt:str}": Row(STAFF, scoped=False),
    "GET /audit": Row(STAFF),
    # --- training: courses and lessons, cohorts, classes, certificates --------------------------------------
    "GET /api/v1/courses": Row(USERS),
    "POST /api/v1/courses": Row(STAFF, body={"title": "新课", "village_id": "{village_id}"}),
    "GET /api/v1/courses/{course_id:int}": Row(USERS),
    "PATCH /api/v1/courses/{course_id:int}": Row(STAFF, body={"description": "六节课"}),
    "POST /api/v1/courses/{course_id:int}/lessons": Row(STAFF, body={"title": "新一课"}),
    "GET /api/v1/lessons/{lesson_id:int}": Row(USERS),
    "POST /api/v1/lessons/{lesson_id:int}/complete": Row(TRAINEES),
    "GET /api/v1/cohorts": Row(USERS),
    "POST /api/v1/cohorts": Row(STAFF, body={"course_id": "{course_id}", "name": "第2期", "starts_on": "2030-01-05"}),
    "GET /api/v1/cohorts/{cohort_id:int}": Row(USERS),
    "GET /api/v1/cohorts/{cohort_id:int}/progress": Row(STAFF),
    "GET /api/v1/cohorts/{cohort_id:int}/enrollments": Row(STAFF),
    "POST /api/v1/cohorts/{cohort_id:int}/enrollments": Row(STAFF, body={"user_id": "{user_id}"}),
    "DELETE /api/v1/cohorts/{cohort_id:int}/enrollments/{user_id:int}": Row(
        STAFF, use={"user_id": "spare_user_id"}, last=True
    ),
    "GET /api/v1/cohorts/{cohort_id:int}/classes": Row(USERS),
    "POST /api/v1/cohorts/{cohort_id:int}/classes": Row(STAFF, body=_CLASS),
    "GET /api/v1/classes/{class_id:int}": Row(USERS),
    "PATCH /api/v1/classes/{class_id:int}": Row(STAFF, body={"place": "村委会二楼"}),
    "POST /api/v1/classes/{class_id:int}/cancel": Row(STAFF, last=True),
    "POST /api/v1/classes/{class_id:int}/check-in": Row(TRAINEES, body={"code": "{checkin_code}"}),
    "GET /api/v1/classes/{class_id:int}/attendance": Row(STAFF),
    "POST /api/v1/classes/{class_id:int}/attendance": Row(
        STAFF, body={"marks": [{"user_id": "{user_id}", "status": "present"}]}
    ),
    "GET /api/v1/me/progress": Row(USERS),
    "GET /training": Row(USERS),
    "GET /training/lessons/{lesson_id:int}": Row(USERS),
    "POST /training/lessons/{lesson_id:int}/done": Row(TRAINEES),
    "GET /training/lessons/{lesson_id:int}/file": Row(USERS),
    "GET /training/classes/{class_id:int}": Row(USERS),
    "GET /training/classes/{class_id:int}/check-in": Row(TRAINEES),
    "GET /training/classes/{class_id:int}/check-in/{code:str}": Row(TRAINEES, use={"code": "checkin_code"}),
    "POST /training/classes/{class_id:int}/check-in": Row(TRAINEES, body={"code": "{checkin_code}"}),
    "GET /training/enrollments/{enrollment_id:int}": Row(USERS),
    "GET /training/enrollments/{enrollment_id:int}/certificate": Row(USERS),
    "POST /training/courses/import-starter": Row(STAFF),
    "GET /training/courses/new": Row(STAFF),
    "POST /training/courses/new": Row(STAFF, body={"title": "新课", "village_id": "{village_id}"}),
    "GET /training/courses/{course_id:int}": Row(STAFF),
    "POST /training/courses/{course_id:int}": Row(STAFF),
    "POST /training/courses/{course_id:int}/publish": Row(STAFF),
    "GET /training/courses/{course_id:int}/lessons/new": Row(STAFF),
    "POST /training/courses/{course_id:int}/lessons/new": Row(STAFF),
    "GET /training/lessons/{lesson_id:int}/edit": Row(STAFF),
    "POST /training/lessons/{lesson_id:int}/edit": Row(STAFF),
    "POST /training/lessons/{lesson_id:int}/move": Row(STAFF),
    "POST /training/lessons/{lesson_id:int}/delete": Row(STAFF, use={"lesson_id": "spare_lesson_id"}, last=True),
    "POST /training/courses/{course_id:int}/cohorts": Row(STAFF),
    "GET /training/cohorts/{cohort_id:int}": Row(STAFF),
    "POST /training/cohorts/{cohort_id:int}/enroll": Row(STAFF),
    "POST /training/cohorts/{cohort_id:int}/trainees": Row(STAFF),
    "POST /training/cohorts/{cohort_id:int}/enrollments/{user_id:int}/remove": Row(
        STAFF, use={"user_id": "spare2_user_id"}, last=True
    ),
    "POST /training/cohorts/{cohort_id:int}/classes": Row(STAFF),
    "GET /training/classes/{class_id:int}/edit": Row(STAFF),
    "POST /training/classes/{class_id:int}/edit": Row(STAFF),
    "POST /training/classes/{class_id:int}/cancel": Row(STAFF, last=True),
    "POST /training/classes/{class_id:int}/attendance": Row(STAFF),
    "GET /training/classes/{class_id:int}/qr": Row(STAFF),
    "POST /training/certificates/{certificate_id:int}/revoke": Row(STAFF, last=True),
    # --- villagers' questions and disputes (issue 13): raised and rated by the household, answered by the
    # village, the township and the county; each village's case is household 1's, about its weigh-in --------
    "POST /api/v1/cases": Row(HOUSEHOLDS, body={"topic": "other", "text": "问一下分红"}),
    "GET /api/v1/cases": Row(CASE_PARTIES),
    "GET /api/v1/cases/{case_id:int}": Row(CASE_PARTIES),
    "POST /api/v1/cases/{case_id:int}/replies": Row(CASE_PARTIES, body={"text": "补充一句"}),
    "POST /api/v1/cases/{case_id:int}/resolve": Row(HANDLERS, body={"outcome": "upheld", "text": "磅单无误"}),
    "POST /api/v1/cases/{case_id:int}/rating": Row(HOUSEHOLDS, body={"solved": True, "satisfaction": "fair"}),
    "POST /api/v1/cases/{case_id:int}/close": Row(COUNTY_LEVEL, body=_COUNTY_REASON),
    "POST /api/v1/cases/{case_id:int}/corrections": Row(HANDLERS, body={"kind": "price", "unit_price_fen": 4000}),
    "GET /household/cases": Row(HOUSEHOLDS),
    "GET /household/cases/new": Row(HOUSEHOLDS),
    "POST /household/cases/new": Row(HOUSEHOLDS, body={"topic": "other", "text": "问一下分红"}),
    "GET /household/cases/{case_id:int}": Row(HOUSEHOLDS),
    "POST /household/cases/{case_id:int}/info": Row(HOUSEHOLDS, body={"text": "补充一句"}),
    "POST /household/cases/{case_id:int}/rating": Row(HOUSEHOLDS, body={"solved": "yes"}),
    "GET /cases/photos/{photo_id:int}": Row(CASE_PARTIES, use={"photo_id": "case_photo_id"}),
    "GET /cases": Row(HANDLERS),
    "GET /cases/{case_id:int}": Row(HANDLERS),
    "POST /cases/{case_id:int}/reply": Row(HANDLERS, body={"text": "我们在核对"}),
    "POST /cases/{case_id:int}/resolve": Row(HANDLERS, body={"outcome": "upheld", "resolution": "磅单无误"}),
    "POST /cases/{case_id:int}/correct": Row(HANDLERS, body={"kind": "price", "price": "40"}),
    "POST /cases/{case_id:int}/close": Row(COUNTY_LEVEL, body=_COUNTY_REASON),
    "GET /township": Row(OFFICERS | ADMINS),  # the county and the admin are sent on to /county
    "GET /county": Row(OFFICERS | ADMINS),  # a township officer is sent back to /township
    "GET /admin/officers": Row(ADMINS),
    "POST /admin/officers": Row(
        ADMINS, body={"role": "county", "username": "walls_xian", "password": "long-enough-1", "county": "朝阳县"}
    ),
}
